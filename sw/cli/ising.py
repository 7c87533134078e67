"""``bitspin ising run`` and ``bitspin ising sweep``: sample the 2D Ising model on any backend."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from bitspin.hw.ising.params import ALGORITHMS, LANE_RNGS
from bitspin.sw.cli.ising_format import fmt_stat as _fmt, parse_temperatures
from bitspin.sw.cli.ising_format import sweep_progress as _progress
from bitspin.sw.cli.paths import output_file


def add_model_options(parser, *, temperature: bool, backend: bool = True):
    """The options of ``ising run`` (``backend=False``: without --backend, --device and
    --threads, for commands that always run on devices)."""
    from bitspin.sw.ising.backends import BACKENDS, RunConfig
    d = RunConfig()
    if backend:
        parser.add_argument("--backend", choices=BACKENDS, default="cpu")
        parser.add_argument("--device", default=None, metavar="URL",
                            help="sim, socket://HOST:PORT or a serial port (device backend)")
    parser.add_argument("--size", type=int, default=d.size, help="L, the side of the torus")
    if temperature:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--temperature", type=float, help="T = 1/beta (default: T_c)")
        group.add_argument("--beta", type=float, help="inverse temperature")
    parser.add_argument("--sweeps", type=int, default=d.sweeps)
    parser.add_argument("--burn-in", type=int, default=d.burn_in)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--lanes", type=int, default=d.lanes, help="P, spins per clock (golden, device)")
    parser.add_argument("--precision", type=int, default=d.k, help="k, threshold bits (golden, device)")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default=d.algorithm)
    parser.add_argument("--observe-every", type=int, default=d.observe_every, metavar="K",
                        help="golden, device: the core adds up the observables on chip and sends "
                             "every K-th sweep's (M, B) (means from the sums, errors from those "
                             "records; default 1: every sweep)")
    parser.add_argument("--rng", choices=LANE_RNGS, default=d.rng,
                        help="golden, device: the lanes' generator (wheel: the lean lanes' "
                             "lagged-Fibonacci wheels)")
    parser.add_argument("--field", type=float, default=d.field, help="h")
    parser.add_argument("--coupling", type=int, choices=(1, -1), default=d.coupling, help="J")
    parser.add_argument("--init", choices=("hot", "cold"), default=d.init)
    parser.add_argument("--couplings", default=None, metavar="FILE.npz",
                        help="per-bond ±J couplings (bitspin ising couplings; golden, cpu, device)")
    if backend:
        parser.add_argument("--threads", type=int, default=None,
                            help="cpu backend: threads (default: every core)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_parser(sub):
    parser = sub.add_parser("ising", help="2D Ising MCMC sampling")
    commands = parser.add_subparsers(dest="ising_command", metavar="COMMAND", required=True)
    run_parser = commands.add_parser("run", help="one temperature: observables with error bars")
    add_model_options(run_parser, temperature=True)
    run_parser.set_defaults(run=run)
    sweep_parser = commands.add_parser("sweep", help="a temperature scan against the exact solution")
    add_model_options(sweep_parser, temperature=False)
    sweep_parser.add_argument("--temperatures", default="1.5:3.5:21", metavar="START:STOP:COUNT")
    sweep_parser.add_argument("--plot", type=output_file, default=None,
                              help="write a PNG of the scan")
    sweep_parser.set_defaults(run=sweep)
    rng_parser = commands.add_parser(
        "rng-stream", help="write the lanes' raw 32-bit outputs to stdout (for dieharder -g 200)")
    rng_parser.add_argument("--lanes", type=int, default=256)
    rng_parser.add_argument("--seed", type=int, default=1)
    rng_parser.add_argument("--bytes", type=int, default=0, help="stop after this many (0: never)")
    rng_parser.add_argument("--generator", choices=LANE_RNGS, default=LANE_RNGS[0],
                            help="the lanes' xoroshiro64+ generators, or the lean lanes' "
                                 "lagged-Fibonacci wheels (32-bit words)")
    rng_parser.set_defaults(run=rng_stream)
    from bitspin.sw.cli.ising_temper import add_parsers
    add_parsers(commands)


def run_config(args, beta: float):
    """The RunConfig of parsed ``ising run`` options at ``beta``."""
    from bitspin.sw.ising.backends import RunConfig
    return RunConfig(size=args.size, beta=beta, sweeps=args.sweeps, burn_in=args.burn_in,
                     seed=args.seed, lanes=args.lanes, k=args.precision, algorithm=args.algorithm,
                     field=args.field, coupling=args.coupling, init=args.init, rng=args.rng,
                     observe_every=args.observe_every, couplings=args.couplings,
                     threads=getattr(args, "threads", None))


def _beta(args) -> float:
    from bitspin.sw.ising.exact import T_CRITICAL
    if args.beta is not None:
        return args.beta
    temperature = T_CRITICAL if args.temperature is None else args.temperature
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    return 1 / temperature


def run(args) -> int:
    from bitspin.sw.ising import backends
    from bitspin.sw.ising.report import run_summary
    config = run_config(args, _beta(args))
    err = Console(stderr=True)
    with _progress(err) as bar:
        task = bar.add_task(f"{args.backend} L={config.size}", total=config.sweeps)
        result = backends.run(args.backend, config, device_url=args.device,
                              progress=lambda done: bar.update(task, completed=done))
    summary = run_summary(args.backend, config, result)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    table = Table(title=f"Ising L={config.size} T={config.temperature:.4f} ({args.backend}, "
                        f"{config.algorithm})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key in ("energy_per_spin", "abs_magnetization_per_spin", "specific_heat_per_spin",
                "binder_cumulant"):
        table.add_row(key, _fmt(summary[key]))
    for key in ("tau_int_energy", "acceptance_rate", "spin_updates_per_ns", "elapsed_s"):
        table.add_row(key, f"{summary[key]:.4g}")
    table.add_row("final_lattice_sha256", summary["final_lattice_sha256"][:16] + "…")
    table.add_row("observables_sha256", summary["observables_sha256"][:16] + "…")
    Console().print(table)
    return 0


def sweep(args) -> int:
    from bitspin.sw.ising import backends
    from bitspin.sw.ising.report import run_summary
    temperatures = parse_temperatures(args.temperatures)
    err = Console(stderr=True)
    points = []
    with _progress(err) as bar:
        overall = bar.add_task("temperatures", total=len(temperatures))
        inner = bar.add_task("sweeps", total=args.sweeps)
        for temperature in temperatures:
            config = run_config(args, 1 / temperature)
            bar.update(inner, completed=0, description=f"T={temperature:.3f}")
            result = backends.run(args.backend, config, device_url=args.device,
                                  progress=lambda done: bar.update(inner, completed=done))
            points.append(run_summary(args.backend, config, result))
            bar.advance(overall)
    report = {"backend": args.backend, "size": args.size, "points": points}
    if args.plot:
        from bitspin.sw.ising.plots import plot_sweep
        plot_sweep(points, args.size, args.plot)
        err.print(f"plot: {args.plot}")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    _print_sweep_table(points, args.size)
    return 0


def _print_sweep_table(points, size):
    from bitspin.sw.ising.exact import finite_energy_per_spin, finite_specific_heat_per_spin
    table = Table(title=f"Ising temperature scan, L={size}")
    for column in ("T", "<e>", "exact e", "c", "exact c", "<|m|>", "U"):
        table.add_column(column, justify="right")
    for point in points:
        beta = point["parameters"]["beta"]
        exact = (f"{finite_energy_per_spin(size, beta):.5f}",
                 f"{finite_specific_heat_per_spin(size, beta):.4f}") \
            if size % 2 == 0 and point["parameters"]["field"] == 0 else ("", "")
        table.add_row(f"{1 / beta:.3f}", _fmt(point["energy_per_spin"]), exact[0],
                      _fmt(point["specific_heat_per_spin"]), exact[1],
                      _fmt(point["abs_magnetization_per_spin"]), _fmt(point["binder_cumulant"]))
    Console().print(table)


#: ``rng-stream`` lanes: the widest core the lane generators serve (L = 1024, P = L²/2 would be
#: more, but no build comes near it).
MAX_RNG_LANES = 1 << 16


def rng_stream(args) -> int:
    """Lane outputs interleaved as the core consumes them: draw n of lanes 0..P-1, then n+1."""
    import sys

    import os

    from bitspin.sw.ising.generators import lane_rngs
    if not 1 <= args.lanes <= MAX_RNG_LANES:
        raise ValueError(f"--lanes must be from 1 to {MAX_RNG_LANES}, not {args.lanes}")
    if args.bytes < 0:
        raise ValueError(f"--bytes must be 0 (never stop) or a positive count, not {args.bytes}")
    if not 0 <= args.seed < 1 << 64:
        raise ValueError(f"--seed must be in [0, 2^64), not {args.seed}")
    rngs = lane_rngs(args.generator, args.seed, args.lanes, 32)
    out = sys.stdout.buffer
    written = 0
    block = max(1, 65536 // args.lanes)
    try:
        while not args.bytes or written < args.bytes:
            chunk = rngs.draw_many(block).astype("<u4").tobytes()
            if args.bytes:
                chunk = chunk[:args.bytes - written]
            out.write(chunk)
            written += len(chunk)
        out.flush()
    except BrokenPipeError:  # the consumer (dieharder) has read enough
        sys.stderr.close()
    except OSError as error:
        # Python would flush the same full buffer again at exit, with a second traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise ValueError(f"cannot write the stream to standard output: "
                         f"{error.strerror or error}") from None
    return 0
