"""``bitspin farm ising`` and ``bitspin farm gan``: one job spread over many boards (Dask)."""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path

from rich.console import Console

from bitspin.sw.cli.paths import output_file
from bitspin.sw.cli.progress import progress_lines


def _add_farm_options(parser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--devices", metavar="URL,URL,…",
                       help="boards: serial ports (PORT[@BAUD]) or socket://HOST:PORT")
    where.add_argument("--virtual-boards", type=int, metavar="N",
                       help="start N virtual boards on this machine")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="a running Dask cluster whose workers own the boards "
                            "(see docs/farm.md)")
    parser.add_argument("--max-failures", type=int, default=None, metavar="N",
                        help="failures in a row after which a device leaves the pool (default 2)")


def add_parser(sub):
    from bitspin.sw.cli.ising import add_model_options
    parser = sub.add_parser("farm", help="spread a sweep or a batch over many boards (Dask)")
    commands = parser.add_subparsers(dest="farm_command", metavar="COMMAND", required=True)

    ising = commands.add_parser("ising", help="a temperature sweep, one point per task")
    _add_farm_options(ising)
    add_model_options(ising, temperature=False, backend=False)
    ising.add_argument("--temperatures", required=True, metavar="T1,T2,…|START:STOP:COUNT")
    ising.add_argument("--couplings-seeds", default=None, metavar="S1,S2,…",
                       help="one ±J spin-glass instance per seed (needs per-bond couplings)")
    ising.set_defaults(run=run_ising)

    gan = commands.add_parser("gan", help="a batch of digits, cut into chunks")
    _add_farm_options(gan)
    gan.add_argument("--model", type=Path, default=None, help="model file (default: committed)")
    gan.add_argument("--count", type=int, required=True)
    gan.add_argument("--seed", type=int, required=True)
    gan.add_argument("--labels", default=None, help="comma-separated; default cycles 0-9")
    gan.add_argument("--chunk", type=int, default=None,
                     help="images per task (default: about three tasks per device, ≤ 256)")
    gan.add_argument("--out", type=output_file, required=True, help="FILE.npz or FILE.png")
    gan.add_argument("--json", action="store_true", help="print one JSON object")
    gan.set_defaults(run=run_gan)


def _device_list(spec: str) -> list[str]:
    urls = [u.strip() for u in spec.split(",") if u.strip()]
    if not urls:
        raise ValueError("--devices is empty: give URLs separated by commas")
    return urls


@contextlib.contextmanager
def _farm(args, log, *, ising=None, gan_engine=None):
    """The Farm that the options ask for (virtual boards started and stopped around it)."""
    from bitspin.sw.farm import Farm
    from bitspin.sw.farm.cluster import virtual_boards
    # Dask's own warnings (a worker closing, a comm lost) would bury the farm's lines.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if args.max_failures is not None and args.max_failures < 1:
        raise ValueError(f"--max-failures must be at least 1, not {args.max_failures}")
    with contextlib.ExitStack() as stack:
        if args.scheduler is not None:
            farm = Farm(scheduler=args.scheduler, log=log)
        elif args.virtual_boards is not None:
            urls = stack.enter_context(virtual_boards(args.virtual_boards, ising=ising,
                                                      gan_engine=gan_engine, log=log))
            farm = Farm(urls, log=log)
        else:
            farm = Farm(_device_list(args.devices), log=log)
        yield stack.enter_context(farm)


def _max_failures(args) -> dict:
    return {} if args.max_failures is None else {"max_failures": args.max_failures}


def run_ising(args) -> int:
    from bitspin.sw.cli.ising import run_config
    from bitspin.sw.ising.backends import core_params
    from bitspin.sw.cli.ising_format import parse_temperatures
    from bitspin.sw.farm import farm_ising
    from bitspin.sw.farm.ising import sweep_configs
    if args.couplings_seeds is not None:
        raise ValueError("--couplings-seeds (one ±J instance per seed) is not written yet; "
                         "--couplings FILE.npz runs every point on one instance")
    temperatures = parse_temperatures(args.temperatures)
    config = run_config(args, 1 / temperatures[0])
    sweep_configs(config, temperatures)      # every bad parameter is reported before any start
    params = core_params(config)     # the boards' core: couplings and sums as the run needs
    with progress_lines("starting the farm") as update, \
            _farm(args, update, ising=params) as farm:
        result = farm_ising(farm, config, temperatures, **_max_failures(args),
                            on_point=lambda done, total, p: update(
                                f"{done}/{total} points (T={p['temperature']:.4f} on "
                                f"{p['device']})"))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print_ising(result)
    return 0


def _print_ising(result: dict) -> None:
    from rich.table import Table
    console = Console()
    table = Table(title=f"farm: {len(result['points'])} points on {result['devices']} device(s), "
                        f"{result['retries']} retries, {result['elapsed_s']:.1f} s")
    for column in ("T", "seed", "E/N", "|M|/N", "C/N", "device"):
        table.add_column(column, no_wrap=column == "device")
    for p in result["points"]:
        e, m, c = (p[k] for k in ("energy_per_spin", "abs_magnetization_per_spin",
                                  "specific_heat_per_spin"))
        table.add_row(f"{p['temperature']:.4f}", str(p["seed"]),
                      f"{e['mean']:.4f} ± {e['stderr']:.4f}", f"{m['mean']:.4f} ± {m['stderr']:.4f}",
                      f"{c['mean']:.3f} ± {c['stderr']:.3f}", p["device"])
    console.print(table)
    _print_devices(console, result["device_stats"], "points", "spin_updates_per_ns",
                   "spin updates/ns")


def _print_devices(console, stats, count_key: str, rate_key: str, rate_name: str) -> None:
    from rich.table import Table
    table = Table(title="per device (rate over its busy time)")
    for column in ("device", count_key, "failures", "busy s", rate_name):
        table.add_column(column)
    for s in stats:
        rate = "–" if s[rate_key] is None else f"{s[rate_key]:.4g}"
        table.add_row(s["device"], str(s[count_key]), str(s["failures"]), f"{s['busy_s']:.1f}",
                      rate)
    console.print(table)


def run_gan(args) -> int:
    from bitspin.sw.cli.gan import check_image_file, model_path, write_images
    from bitspin.sw.farm import farm_gan
    from bitspin.sw.gan.backends import load_any
    from bitspin.sw.gan.engine_configs import engine_for_architecture
    from bitspin.sw.gan.folding import FoldedModel
    from bitspin.sw.gan.latent import parse_labels
    check_image_file(args.out)
    if args.count < 1:
        raise ValueError(f"--count must be at least 1, not {args.count}")
    labels = parse_labels(args.labels, args.count)
    model = load_any(model_path(args.model))
    if not isinstance(model, FoldedModel):
        raise ValueError("the farm runs the GAN engine, which needs a binarized model file, not "
                         "a float checkpoint")
    engine = engine_for_architecture(model.config)
    if args.virtual_boards is not None and engine is None:
        raise ValueError("no GAN engine configuration exists for this model's architecture, so "
                         "no virtual board can carry it (see sw.gan.engine_configs)")
    with progress_lines("starting the farm") as update, \
            _farm(args, update, gan_engine=engine) as farm:
        images, report = farm_gan(farm, model, args.count, args.seed, labels, chunk=args.chunk,
                                  **_max_failures(args),
                                  on_chunk=lambda done, total: update(f"{done}/{total} images"))
    write_images(images, labels, args.out, title=f"farm, seed {args.seed}")
    if args.json:
        print(json.dumps({**report, "out": str(args.out)}, indent=2))
        return 0
    console = Console()
    console.print(f"{args.count} images on {report['devices']} device(s) in "
                  f"{report['elapsed_s']:.1f} s, {report['retries']} retries; "
                  f"sha256 {report['images_sha256'][:16]}…")
    _print_devices(console, report["device_stats"], "images", "images_per_s", "images/s")
    return 0
