"""``bitspin demo``: the main job, end to end, on the virtual board.

1. start a virtual board: the device top (Ising core L=32, P=16, and the GAN engine with the
   committed default model) simulated by Verilator behind a TCP port;
2. run an Ising temperature sweep and a GAN generation through it, with the same host code a
   real board uses;
3. check every run against the golden model (identical hashes and images) and the Ising
   observables against the exact finite-lattice solution (Kaufman);
4. write a report folder: observables against the exact curves, lattice snapshots, a digit
   grid, and a summary table (``summary.md``, ``summary.json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from bitspin.sw.cli.paths import output_dir

DEMO_SIZE, DEMO_LANES = 32, 16
DEMO_ENGINE = "ulx3s"


def add_parser(sub):
    parser = sub.add_parser("demo", help="the main job end to end on the virtual board")
    parser.add_argument("--out", type=output_dir, default=Path("out/demo"), help="report folder")
    parser.add_argument("--device", default="sim",
                        help="sim (a virtual board, the default), or the URL of a running one "
                             "or a board built as the demo device")
    parser.add_argument("--temperatures", default="1.6:3.4:7", metavar="START:STOP:COUNT")
    parser.add_argument("--sweeps", type=int, default=2000)
    parser.add_argument("--burn-in", type=int, default=400)
    parser.add_argument("--images", type=int, default=20, help="digits to generate")
    parser.add_argument("--seed", type=int, default=2026)
    parser.set_defaults(run=run)


def run(args) -> int:
    from bitspin.hw.ising.params import IsingParams
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.ising.backends import RunConfig
    from bitspin.sw.cli.ising_format import parse_temperatures

    temperatures = parse_temperatures(args.temperatures)
    if args.images < 1 or args.images > 200:
        raise ValueError("--images must be in 1..200")
    RunConfig(size=DEMO_SIZE, lanes=DEMO_LANES, sweeps=args.sweeps,
              burn_in=args.burn_in).validate()
    console = Console()
    args.out.mkdir(parents=True, exist_ok=True)
    console.rule("1. virtual board")
    with console.status("building (cached after the first time) and starting the virtual "
                        "board..."):
        started = time.perf_counter()
        device = open_device(args.device, ising=IsingParams(DEMO_SIZE, DEMO_LANES),
                             gan_engine=DEMO_ENGINE, timeout=3.0)
    console.print(f"device {device.identity.design} at {device.url}, up in "
                  f"{time.perf_counter() - started:.1f} s; identity: {device.identity.cores}")
    with device:
        console.rule("2. Ising temperature sweep through the device, checked against golden "
                     "and exact")
        ising = _ising(console, device, args, temperatures)
        console.rule("3. GAN digits through the device, checked against golden")
        gan = _gan(console, device, args)
    summary = {"ising": ising, "gan": gan, "device": device.identity.as_dict()}
    ok = all(p["golden_match"] and p["exact_ok"] for p in ising["points"]) and gan["golden_match"]
    summary["ok"] = ok
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    (args.out / "summary.md").write_text(_markdown(summary))
    console.rule("4. report")
    console.print(_table(ising))
    console.print(f"GAN: {gan['images']} digits, identical to golden: {gan['golden_match']}; "
                  f"{gan['device_cycles_per_image']} device clocks per image")
    console.print(f"report folder: {args.out} ({', '.join(sorted(p.name for p in args.out.iterdir()))})")
    console.print("[green]demo passed[/green]" if ok else "[red]demo FAILED[/red]")
    return 0 if ok else 1


def _ising(console, device, args, temperatures) -> dict:
    from bitspin.sw.device.ising_sampler import IsingSampler
    from bitspin.sw.ising.backends import RunConfig, run
    from bitspin.sw.ising.exact import finite_energy_per_spin, finite_specific_heat_per_spin
    from bitspin.sw.ising.plots import plot_sweep
    from bitspin.sw.ising.report import run_summary
    sampler = IsingSampler(device)
    points, lattices = [], []
    for index, temperature in enumerate(temperatures):
        config = RunConfig(size=DEMO_SIZE, lanes=DEMO_LANES, beta=1 / temperature,
                           sweeps=args.sweeps, burn_in=args.burn_in, seed=args.seed + index)
        with console.status(f"T={temperature:.3f}: device, then golden"):
            result = sampler.sample(config)
            golden = run("golden", config)
        point = run_summary("device", config, result)
        reference = run_summary("golden", config, golden)
        point["golden_match"] = all(point[k] == reference[k] for k in
                                    ("final_lattice_sha256", "observables_sha256"))
        exact_e = finite_energy_per_spin(DEMO_SIZE, config.beta)
        exact_c = finite_specific_heat_per_spin(DEMO_SIZE, config.beta)
        e = point["energy_per_spin"]
        point["exact_energy_per_spin"], point["exact_specific_heat_per_spin"] = exact_e, exact_c
        point["energy_z"] = abs(e["mean"] - exact_e) / e["stderr"] if e["stderr"] else 0.0
        point["exact_ok"] = point["energy_z"] < 4.0
        point["device_cycles"] = result.device_cycles
        point["device_seconds_at_clock"] = result.device_cycles / device.clock_hz
        points.append(point)
        lattices.append(result.final_lattice)
        console.print(f"T={temperature:.3f}: e = {e['mean']:.4f} ± {e['stderr']:.4f} "
                      f"(exact {exact_e:.4f}, {point['energy_z']:.1f} σ), golden hashes "
                      f"{'match' if point['golden_match'] else 'DIFFER'}")
    plot_sweep(points, DEMO_SIZE, args.out / "ising_observables.png")
    _snapshots(lattices, temperatures, args.out / "ising_lattices.png")
    return {"size": DEMO_SIZE, "lanes": DEMO_LANES, "points": points}


def _snapshots(lattices, temperatures, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(lattices), figsize=(2 * len(lattices), 2.3))
    for ax, lattice, temperature in zip(np.atleast_1d(axes), lattices, temperatures):
        ax.imshow(lattice, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"T={temperature:.2f}", fontsize=9)
        ax.axis("off")
    fig.suptitle("final lattices (device), white = up", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _gan(console, device, args) -> dict:
    from bitspin.sw.device.generator import Generator
    from bitspin.sw.gan.engine_configs import engine_config
    from bitspin.sw.gan.export import load_model
    from bitspin.sw.gan.golden import GoldenGenerator
    from bitspin.sw.gan.grid import save_grid
    from bitspin.sw.gan.latent import latent_from_seed
    model = load_model(engine_config(DEMO_ENGINE).model)
    config = model.config
    generator = Generator(device)
    with console.status("loading the model (no transfer if the device already holds it)"):
        generator.load_model(model)
    labels = np.arange(args.images) % config.n_classes
    z = latent_from_seed(args.seed, args.images, config.z_dim, config.z_zero_threshold)
    with console.status(f"generating {args.images} digits on the device"):
        started = time.perf_counter()
        images = generator.generate(z, labels)
        elapsed = time.perf_counter() - started
    expected = GoldenGenerator(model).generate(z, labels)
    save_grid(images, labels, args.out / "gan_digits.png",
              title="B-DCGAN digits from the device (virtual board)")
    match = bool(np.array_equal(images, expected))
    console.print(f"{args.images} digits in {elapsed:.1f} s through the link; identical to "
                  f"golden: {match}")
    return {"images": args.images, "golden_match": match, "link_seconds": elapsed,
            "device_cycles_per_image": device.read("GAN_IMAGE_CYCLES")}


_COLUMNS = ("T", "<e> device", "exact e (Kaufman)", "σ off", "c device", "exact c",
            "golden hashes")


def _rows(ising) -> list[tuple[str, ...]]:
    """The summary table's cells, one row per temperature (terminal and markdown alike)."""
    rows = []
    for p in ising["points"]:
        e, c = p["energy_per_spin"], p["specific_heat_per_spin"]
        rows.append((f"{p['parameters']['temperature']:.3f}",
                     f"{e['mean']:.4f} ± {e['stderr']:.4f}", f"{p['exact_energy_per_spin']:.4f}",
                     f"{p['energy_z']:.1f}", f"{c['mean']:.3f} ± {c['stderr']:.3f}",
                     f"{p['exact_specific_heat_per_spin']:.3f}",
                     "match" if p["golden_match"] else "DIFFER"))
    return rows


def _table(ising) -> Table:
    table = Table(title=f"Ising L={ising['size']} through the device")
    for column in _COLUMNS:
        table.add_column(column, justify="right")
    for row in _rows(ising):
        table.add_row(*row)
    return table


def _markdown(summary) -> str:
    lines = ["# bitspin demo report", "",
             f"Device: `{summary['device']['design']}` (virtual board unless stated), "
             f"clock {summary['device']['clock_hz']} Hz (nominal).", "",
             "| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(summary["ising"])]
    g = summary["gan"]
    lines += ["", f"GAN: {g['images']} digits, identical to the golden model: "
                  f"{g['golden_match']}; {g['device_cycles_per_image']} device clocks per image.",
              "", "Plots: `ising_observables.png`, `ising_lattices.png`, `gan_digits.png`.",
              "", f"Overall: {'passed' if summary['ok'] else 'FAILED'}."]
    return "\n".join(lines) + "\n"
