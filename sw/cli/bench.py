"""``bitspin bench ising|gan``: the same workload on every backend, printed, written as JSON and,
with ``--report DIR``, as a markdown table with plots."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bitspin.sw.cli.lists import int_list, pair_list

DEFAULT_ISING_BOARD = "ulx3s-85f"


def add_parser(sub):
    parser = sub.add_parser(
        "bench", help="benchmark a workload on several backends",
        description="Run the same workload on each backend: cpu and gpu (the fast references), "
                    "sim (the core in Verilator: cycles), device (a board or, with --device "
                    "sim, a virtual board: the device's own cycle counter) and projected "
                    "(simulated cycles × the post-route fmax of a build).")
    parser.add_argument("workload", choices=["ising", "gan"])
    parser.add_argument("--backends", default="cpu,gpu,device",
                        help="comma-separated from cpu, gpu, sim, device, projected "
                             "(default: cpu,gpu,device)")
    parser.add_argument("--size", type=int, default=64, help="ising: the lattice side L")
    parser.add_argument("--sweeps", type=int, default=1000, help="ising: sweeps per run")
    parser.add_argument("--lanes", type=int, default=16,
                        help="ising device/projected: the core's spins per clock P")
    parser.add_argument("--count", type=int, default=100, help="gan: images per run")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per backend: min, median and max are reported")
    parser.add_argument("--sizes", default=None,
                        help="ising cpu/gpu: also scan these lattice sizes (comma-separated)")
    parser.add_argument("--cores", default="16x8,64x32,256x64",
                        help="ising sim: core configurations LxP, comma-separated")
    parser.add_argument("--sim-sweeps", type=int, default=4, help="ising sim: sweeps")
    parser.add_argument("--sim-images", type=int, default=4, help="gan sim: images")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's choice; 1 avoids OpenMP "
                             "spin-waiting on a loaded machine)")
    parser.add_argument("--engine", default="ulx3s", help="gan: engine configuration")
    parser.add_argument("--board", default=None,
                        help="projected: the board whose post-route fmax is used (ising default "
                             f"{DEFAULT_ISING_BOARD}; gan: the engine configuration's first)")
    parser.add_argument("--build-json", type=Path, default=None,
                        help="projected: a `bitspin build --json` or `bitspin design-space "
                             "--json` report to take fmax from (default: build now, minutes)")
    parser.add_argument("--device", default="sim", metavar="URL",
                        help="device backend: sim (a virtual board) or a device URL")
    parser.add_argument("--meter", action="append", default=None, metavar="[BACKEND=]SPEC",
                        help="energy meter; SPEC alone meters cpu and gpu, BACKEND=SPEC one "
                             "backend (repeatable). SPEC: rapl[:ZONE], nvml[:N], "
                             "ppk2:PORT[@MV] or stated:WATTS (labelled not measured); "
                             "projected takes only stated:WATTS")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON report (default: out/bench/WORKLOAD.json)")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="also write DIR/report.md, report.png and report.json")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.set_defaults(run=run)


def selected_backends(args, known) -> list[str]:
    """The ``--backends`` list, checked against ``known``."""
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(known)
    if unknown or not backends:
        raise ValueError(f"unknown backends {', '.join(sorted(unknown)) or '(none given)'} for "
                         f"{args.workload}; choose from {', '.join(known)}")
    for name in ("repeats", "count", "sweeps"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1")
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError("--threads must be at least 1")
        import torch
        torch.set_num_threads(args.threads)
    return backends


def gpu_missing(unit_fields: dict) -> dict | None:
    """The entry of a gpu backend on a machine without CUDA, or None when there is a GPU."""
    import torch
    if torch.cuda.is_available():
        return None
    return {"available": False, "reason": "no CUDA device on this machine", **unit_fields}


def projected_fmax(args, design: str, params: dict, board: str, status) -> tuple[float, str]:
    """The post-route fmax for ``projected``: from ``--build-json``, or from a build made now."""
    from bitspin.sw.bench.fmax import fmax_from_build, fmax_from_json
    if args.build_json:
        return fmax_from_json(args.build_json, design, params, board)
    status.update(f"building {design} for {board} (yosys, nextpnr: minutes)")
    return fmax_from_build(design, params, board, args.out.parent, status)


def run(args) -> int:
    from bitspin.sw.bench.meters import BENCH_BACKENDS, backend_meters
    args.out = args.out or Path(f"out/bench/{args.workload}.json")
    if args.workload == "gan":
        from bitspin.sw.cli.bench_gan import run_gan
        backends = selected_backends(args, BENCH_BACKENDS)
        return run_gan(args, backends, backend_meters(args.meter, backends))
    backends = selected_backends(args, BENCH_BACKENDS)
    meters = backend_meters(args.meter, backends)
    from bitspin.hw.ising.params import IsingParams
    from bitspin.sw.bench import ising as bench
    IsingParams(args.size, args.lanes)                  # a clear error before any work
    err = Console(stderr=True)
    report = {"workload": {"model": "ising-2d", "size": args.size, "sweeps": args.sweeps,
                           "lanes": args.lanes, "algorithm": "metropolis",
                           "beta": "critical (ln(1 + √2) / 2)", "repeats": args.repeats},
              "machine": bench.machine(), "backends": {}}
    for name in backends:
        with err.status(f"{name}...") as status:
            report["backends"][name] = _ising_backend(args, name, meters.get(name), status,
                                                        report["machine"]["cpu"])
    return write_report(args, report, _print)


def _ising_backend(args, name: str, meter, status, host_cpu: str) -> dict:
    from bitspin.sw.bench import ising as bench
    if name in ("cpu", "gpu"):
        device = "cpu" if name == "cpu" else "cuda"
        if device == "cuda" and (missing := gpu_missing(bench.NOT_MEASURED)):
            return missing
        import torch
        status.update(f"{name}: L={args.size}, {args.sweeps} sweeps × {args.repeats}")
        entry = bench.fast_reference(args.size, device, args.sweeps, args.repeats)
        if meter is not None:
            entry.update(bench.fast_energy(args.size, device, meter, args.sweeps))
        entry["device_name"] = torch.cuda.get_device_name() if device == "cuda" else host_cpu
        if args.sizes:
            entry["by_size"] = [bench.fast_reference(size, device, repeats=args.repeats)
                                for size in int_list(args.sizes, "--sizes")]
        return entry
    if name == "device":
        status.update(f"device {args.device}: L={args.size} P={args.lanes} (a virtual board "
                      f"builds first)")
        return bench.device_runs(args.device, args.size, args.lanes, args.sweeps, args.repeats,
                                 meter)
    if name == "sim":
        cores = []
        for size, lanes in pair_list(args.cores, "--cores", "64x32,256x64"):
            status.update(f"Verilator: L={size} P={lanes} (the first build is slow)")
            cores.append(bench.simulate_core(size, lanes, args.sim_sweeps))
        return {"cores": cores, **bench.NOT_MEASURED}
    board = args.board or DEFAULT_ISING_BOARD
    fmax, source = projected_fmax(args, "ising", {"size": args.size, "lanes": args.lanes},
                                  board, status)
    status.update(f"Verilator: cycles of L={args.size} P={args.lanes}")
    cycles = bench.simulate_core(args.size, args.lanes, args.sim_sweeps)["cycles_per_sweep"]
    return bench.projected(args.size, args.lanes, args.sweeps, cycles, fmax, board, source,
                           meter)


def write_report(args, report: dict, print_table) -> int:
    """Write the JSON report to ``--out`` (and ``--report DIR``); print it or its tables."""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    if args.report:
        from bitspin.sw.bench.report import write_report_dir
        markdown = write_report_dir(report, args.report)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print_table(report)
    _print_headline(report)
    Console().print(f"report: {args.out}" + (f", {markdown}" if args.report else ""))
    return 0


def _print_headline(report: dict) -> None:
    """The cross-backend table: throughput, ratio to CPU and energy, with their labels."""
    from bitspin.sw.bench.report import UNITS, headline
    _, rate_unit, _, energy_unit, _ = UNITS[report["workload"]["model"]]
    table = Table(title="same workload, every backend")
    for column in ("backend", f"{rate_unit} (median)", "min – max", "× CPU", energy_unit,
                   "energy is", "what the throughput is"):
        table.add_column(column)
    notes = []
    for row in headline(report):
        if not row["available"]:
            table.add_row(row["backend"], "-", "-", "-", "-", "-", row["reason"])
            continue
        energy_kind = ("-" if row["energy"] is None else
                       "measured" if row["energy_measured"] else "stated power")
        table.add_row(row["backend"], f"{row['rate']:.4g}",
                      f"{row['rate_min']:.4g} – {row['rate_max']:.4g}",
                      "-" if row["ratio_to_cpu"] is None else f"{row['ratio_to_cpu']:.3g}",
                      "-" if row["energy"] is None else f"{row['energy']:.4g}",
                      energy_kind, row["how"])
        if row["energy"] is not None:
            notes.append(f"{row['backend']} energy: {row['energy_source']}")
    console = Console()
    console.print(table)
    for note in notes:
        console.print(f"[dim]{note}[/dim]")


def _print(report):
    console = Console()
    for name, entry in report["backends"].items():
        if name == "device":
            stalls = sum(entry["device_stall_cycles"])
            console.print(f"device {entry['url']}: {entry['device_cycles_per_sweep']:.0f} device "
                          f"cycles per sweep; the host saw {entry['host_spin_updates_per_ns']:.3g}"
                          f" updates/ns and {entry['link_bytes_per_s']:.3g} link bytes/s; the "
                          f"core waited {stalls} cycles for the host")
        elif name == "sim":
            table = Table(title="Ising core in Verilator (cycle counts are exact)")
            for column in ("L", "P", "cycles/sweep", "ideal L²/P", "lane utilization",
                           "Verilator updates/s"):
                table.add_column(column, justify="right")
            for c in entry["cores"]:
                table.add_row(str(c["size"]), str(c["lanes"]), f"{c['cycles_per_sweep']:.0f}",
                              f"{c['ideal_cycles_per_sweep']:.0f}", f"{c['lane_utilization']:.1%}",
                              f"{c['verilator_updates_per_s']:.3g}")
            console.print(table)
        elif entry.get("by_size"):
            table = Table(title=f"{name} reference ({entry['device_name']}), by lattice size")
            for column in ("L", "median flips/ns", "min", "max"):
                table.add_column(column, justify="right")
            for s in entry["by_size"]:
                table.add_row(str(s["size"]), f"{s['spin_updates_per_ns']:.3f}",
                              f"{s['spin_updates_per_ns_min']:.3f}",
                              f"{s['spin_updates_per_ns_max']:.3f}")
            console.print(table)
