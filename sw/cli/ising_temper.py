"""``bitspin ising temper`` (parallel tempering) and ``bitspin ising couplings`` (±J instances)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from bitspin.hw.ising.params import ALGORITHMS, DEFAULT_ISING_PARAMS, LANE_RNGS
from bitspin.sw.cli.paths import output_file

__all__ = ["add_parsers"]

TEMPER_BACKENDS = ("golden", "cpu", "gpu", "device")


def add_parsers(commands) -> None:
    """Add ``temper`` and ``couplings`` to the ``ising`` subcommands."""
    from bitspin.sw.ising.tempering import EXCHANGE_RULES, TemperConfig
    d = TemperConfig(temperatures=[])
    parser = commands.add_parser("temper", help="parallel tempering over a temperature ladder")
    parser.add_argument("--backend", choices=TEMPER_BACKENDS, default="cpu")
    parser.add_argument("--device", default=None, metavar="URL", help="device backend")
    parser.add_argument("--size", type=int, default=d.size, help="L, the side of the torus")
    parser.add_argument("--temperatures", required=True, metavar="T1,T2,…|A:B:N")
    parser.add_argument("--couplings", default=None, metavar="FILE.npz",
                        help="per-bond ±J couplings (bitspin ising couplings)")
    parser.add_argument("--sweeps", type=int, default=d.sweeps)
    parser.add_argument("--burn-in", type=int, default=d.burn_in)
    parser.add_argument("--exchange-every", type=int, default=d.exchange_every, metavar="K",
                        help="sweeps between exchange rounds")
    parser.add_argument("--copies", type=int, choices=(1, 2), default=d.copies,
                        help="2: two independent replica sets and their overlap q")
    parser.add_argument("--exchange-rule", choices=EXCHANGE_RULES, default=d.exchange_rule,
                        help="host: floating point (default); chip: the fixed-point rule of "
                             "the chip's exchange unit, applied by the host")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--lanes", type=int, default=DEFAULT_ISING_PARAMS.lanes,
                        help="P, spins per clock (golden, device)")
    parser.add_argument("--precision", type=int, default=d.k, help="k, threshold bits")
    parser.add_argument("--rng", choices=LANE_RNGS, default=d.rng, help="the lanes' generator")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default=d.algorithm)
    parser.add_argument("--field", type=float, default=d.field, help="h")
    parser.add_argument("--threads", type=int, default=None, help="cpu backend: threads")
    parser.add_argument("--plot", type=output_file, default=None, help="write a PNG")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=temper_command)

    couplings = commands.add_parser("couplings", help="draw a random ±J instance (.npz)")
    couplings.add_argument("--size", type=int, required=True, help="L")
    couplings.add_argument("--seed", type=int, required=True)
    couplings.add_argument("--out", type=output_file, required=True, metavar="FILE.npz")
    couplings.set_defaults(run=couplings_command)


def couplings_command(args) -> int:
    from bitspin.sw.ising.couplings import random_couplings
    couplings = random_couplings(args.size, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    couplings.save(args.out)
    negative = int((couplings.j_right < 0).sum() + (couplings.j_down < 0).sum())
    Console(stderr=True).print(f"{args.out}: L={args.size}, {negative} of {2 * args.size ** 2} "
                               "bonds -1")
    return 0


def _exact(config, couplings, temperatures) -> dict | None:
    """Exact energies and specific heats by enumeration, where the lattice is small enough."""
    from bitspin.sw.ising.couplings import uniform_couplings
    from bitspin.sw.ising.spin_glass_exact import ENUMERATION_MAX_L, exact_couplings
    if config.size > ENUMERATION_MAX_L:
        return None
    instance = couplings or uniform_couplings(config.size)
    values = [exact_couplings(instance, 1 / t, config.coupling, config.field)
              for t in temperatures]
    return {key: [v[key] for v in values]
            for key in ("energy_per_spin", "specific_heat_per_spin")}


def temper_command(args) -> int:
    from bitspin.sw.cli.ising_format import fmt_stat as _fmt, parse_temperatures
    from bitspin.sw.cli.ising_format import sweep_progress as _progress
    from bitspin.sw.ising.replica_samplers import open_replicas
    from bitspin.sw.ising.temper_report import temper_summary
    from bitspin.sw.ising.tempering import TemperConfig, temper
    if args.device is not None and args.backend != "device":
        raise ValueError("--device is for --backend device")
    config = TemperConfig(
        temperatures=parse_temperatures(args.temperatures), size=args.size, sweeps=args.sweeps,
        burn_in=args.burn_in, exchange_every=args.exchange_every, copies=args.copies,
        seed=args.seed, lanes=args.lanes, k=args.precision, rng=args.rng,
        algorithm=args.algorithm, field=args.field, couplings=args.couplings,
        threads=args.threads, exchange_rule=args.exchange_rule)
    config.validate()
    from bitspin.sw.ising.backends import RunConfig
    couplings = RunConfig(size=config.size, couplings=config.couplings).load_couplings()
    slots = len(config.temperatures) * config.copies
    err = Console(stderr=True)
    with open_replicas(args.backend, config, slots, couplings, args.device) as sampler, \
            _progress(err) as bar:
        task = bar.add_task(f"{args.backend} tempering, {slots} lattices", total=config.sweeps)
        run = temper(sampler, config, couplings,
                     progress=lambda done: bar.update(task, completed=done))
    summary = temper_summary(args.backend, config, run)
    if args.plot:
        from bitspin.sw.ising.temper_plots import plot_temper
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plot_temper(summary, run.walks, args.plot,
                    _exact(config, couplings, sorted(config.temperatures)))
        err.print(f"plot: {args.plot}")
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    table = Table(title=f"Parallel tempering, L={config.size} ({args.backend})")
    for column in ("T", "<e>", "c", "<|m|>", "accept →", *(("q²",) if config.copies == 2
                                                            else ())):
        table.add_column(column, justify="right")
    for t, replica in enumerate(summary["replicas"]):
        acceptance = (summary["exchange_acceptance"][t]
                      if t < len(summary["exchange_acceptance"]) else None)
        row = [f"{replica['temperature']:.3f}", _fmt(replica["energy_per_spin"]),
               _fmt(replica["specific_heat_per_spin"]),
               _fmt(replica["abs_magnetization_per_spin"]),
               "" if acceptance is None else f"{acceptance:.3f}"]
        if config.copies == 2:
            row.append(_fmt(replica["q2"]) if "q2" in replica else "")
        table.add_row(*row)
    Console().print(table)
    Console().print(f"round trips {summary['round_trips']}, "
                    f"{summary['spin_updates_per_ns']:.3g} spin updates/ns, "
                    f"{summary['elapsed_s']:.1f} s")
    return 0
