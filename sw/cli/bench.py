"""``bitspin bench ising|gan``: the same workload on every backend, printed, written as JSON and,
with ``--report DIR``, as a markdown table with plots."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bitspin.sw.bench.options import DEFAULT_ISING_BOARD, BenchOptions
from bitspin.sw.cli.lists import int_list, pair_list
from bitspin.sw.cli.paths import output_dir, output_file
from bitspin.sw.cli.progress import progress_lines
from bitspin.sw.cli.values import positive_int


def add_parser(sub):
    parser = sub.add_parser(
        "bench", help="benchmark a workload on several backends",
        description="Run the same workload on each backend: cpu and gpu (the strongest "
                    "references: every FPGA figure is compared with them per core and per "
                    "machine), "
                    "sim (the core in Verilator: cycles), device (a board or, with --device "
                    "sim, a virtual board: the device's own cycle counter) and projected "
                    "(simulated cycles × the post-route fmax of a build).")
    parser.add_argument("workload", choices=["ising", "gan"])
    parser.add_argument("--backends", default="cpu,gpu,device",
                        help="comma-separated from cpu, gpu, sim, device, projected "
                             "(default: cpu,gpu,device)")
    parser.add_argument("--size", type=int, default=BenchOptions.size, help="ising: the lattice side L")
    parser.add_argument("--sweeps", type=int, default=1000, help="ising: sweeps per run")
    parser.add_argument("--lanes", type=int, default=BenchOptions.lanes,
                        help="ising device/projected: the core's spins per clock P")
    parser.add_argument("--replicas", type=int, default=1, metavar="R",
                        help="ising projected: the core's tiles, each a lattice of L×L running "
                             "the same schedule (a build with --replicas R)")
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
                        help="cpu: threads of the per-machine figure (default: every core). "
                             "Every CPU reference also runs on one thread (the per-core "
                             "figure); only the fastest runs on more. The numba baselines "
                             "never spin-wait; torch's OpenMP pool does on a loaded machine")
    parser.add_argument("--engine", default="ulx3s", help="gan: engine configuration")
    parser.add_argument("--gan-batch", type=positive_int, default=None, metavar="K",
                        help="gan: images in lockstep (default: the configuration's); a build "
                             "made with bitspin build --gan-batch K")
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
    parser.add_argument("--out", type=output_file, default=None,
                        help="JSON report (default: out/bench/WORKLOAD.json)")
    parser.add_argument("--report", type=output_dir, default=None, metavar="DIR",
                        help="also write DIR/report.md, report.png and report.json")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.set_defaults(run=run)


def options_from_args(args):
    """The parsed flags as :class:`bitspin.sw.bench.options.BenchOptions` (checked there)."""
    return BenchOptions(
        workload=args.workload, backends=[b for b in args.backends.split(",") if b],
        size=args.size, sweeps=args.sweeps, lanes=args.lanes, replicas=args.replicas,
        count=args.count,
        repeats=args.repeats,
        sizes=int_list(args.sizes, "--sizes") if args.sizes else [],
        cores=pair_list(args.cores, "--cores", "64x32,256x64"), sim_sweeps=args.sim_sweeps,
        sim_images=args.sim_images, threads=args.threads, engine=args.engine, gan_batch=args.gan_batch,
        board=args.board,
        build_json=args.build_json, device=args.device, meters=args.meter or [], out=args.out)


def run(args) -> int:
    options = options_from_args(args)
    if options.workload == "gan":
        from bitspin.sw.bench.gan import run as run_workload
    else:
        from bitspin.sw.bench.ising import run as run_workload
    with progress_lines(f"bench {options.workload}: {', '.join(options.backends)}") as progress:
        report = run_workload(options, progress)
    markdown = report.write(options.out, args.report)
    if args.json:
        print(report.to_json())
        return 0
    from bitspin.sw.bench.tables import print_report
    print_report(report.as_dict())
    Console().print(f"report: {options.out}" + (f", {markdown}" if markdown else ""))
    return 0
