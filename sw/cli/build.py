"""``bitspin build``: a bitstream for a board, with utilization, fmax and timing closure."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bitspin.sw.cli.paths import output_dir
from bitspin.sw.cli.values import positive_float, positive_int


def add_parser(sub):
    from bitspin.boards.catalog import BOARDS
    from bitspin.boards.designs import DESIGNS
    from bitspin.hw.ising.params import LANE_RNGS, LANE_RULES
    parser = sub.add_parser("build", help="build a design into a bitstream for a board")
    parser.add_argument("--board", required=True, choices=sorted(BOARDS))
    parser.add_argument("--design", required=True, choices=sorted(DESIGNS))
    parser.add_argument("--out", type=output_dir, default=None,
                        help="build folder (default: build/BOARD-DESIGN)")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    parser.add_argument("--router", choices=["router1", "router2"], default=None,
                        help="nextpnr router (default: router1 for the GAN engine; else router2 "
                             "on ECP5, router1 on iCE40)")
    parser.add_argument("--baud", type=positive_int, default=115200, help="UART rate of the design")
    parser.add_argument("--size", type=positive_int, default=None,
                        help="Ising: L (default: the board's; 64, or 32 on icebreaker)")
    parser.add_argument("--lanes", type=positive_int, default=None,
                        help="Ising: P, spins per clock (default: the board's; 16, or 2 on "
                             "icebreaker)")
    parser.add_argument("--precision", type=positive_int, default=None,
                        help="Ising: k, threshold bits (default: the board's; 16, or 8 on "
                             "icebreaker)")
    parser.add_argument("--rng", choices=LANE_RNGS, default=None,
                        help="ising, soc, lanes: the lanes' generator (default xoroshiro64+; wheel: the "
                             "lean lanes' lagged-Fibonacci wheels)")
    parser.add_argument("--sums", action=argparse.BooleanOptionalAction, default=None,
                        help="ising, soc: on-chip sums of the observables (default: on, off on "
                             "icebreaker)")
    parser.add_argument("--replicas", type=int, default=None, metavar="R",
                        help="ising, soc: tiles, independent lattices each with its own "
                             "temperature (default 1); exchange: the temperatures it decides "
                             "between")
    parser.add_argument("--couplings", action=argparse.BooleanOptionalAction, default=None,
                        help="ising, soc: a sign bit per bond in the lattice memory (±J spin "
                             "glasses; default off)")
    parser.add_argument("--lane-rule", choices=LANE_RULES, default=None,
                        help="ising, soc: the lanes' thresholds: the whole table (default) or "
                             "the two of Metropolis at h = 0 (leaner lanes, Metropolis only)")
    parser.add_argument("--cores", default=None, metavar="ising,gan",
                        help="soc: the cores the device carries (default: both; icebreaker "
                             "holds one)")
    parser.add_argument("--engine", default=None, metavar="NAME",
                        help="GAN: engine configuration (bitspin.hw.gan.engine_targets; default: the one "
                             "made for --board)")
    parser.add_argument("--gan-lanes", type=positive_int, default=None, metavar="M",
                        help="GAN: output channels per clock (default: the configuration's)")
    parser.add_argument("--chunk-bits", type=positive_int, default=None, metavar="B",
                        help="GAN: input bits per lane per clock (default: the configuration's)")
    parser.add_argument("--gan-batch", type=positive_int, default=None, metavar="K",
                        help="GAN: images computed in lockstep, sharing every weight read "
                             "(default: the configuration's)")
    parser.add_argument("--clock-mhz", type=positive_float, default=None, metavar="F",
                        help="core clock from the board's PLL at F MHz, or the closest it can "
                             "make (default: the board's oscillator, no PLL)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def report_table(result) -> Table:
    """A terminal table of a :class:`boards.BuildResult`."""
    table = Table(title=f"{result.board}: {result.bitstream.name}")
    table.add_column("resource")
    table.add_column("used", justify="right")
    table.add_column("available", justify="right")
    table.add_column("%", justify="right")
    for kind, counts in result.report.resources.items():
        share = 100 * counts["used"] / counts["available"] if counts["available"] else 0
        table.add_row(kind, str(counts["used"]), str(counts["available"]), f"{share:.1f}")
    for clock, fmax in result.report.fmax_mhz.items():
        ok = fmax["achieved"] >= fmax["constraint"]
        table.add_row(f"fmax {clock}", f"{fmax['achieved']:.1f} MHz",
                      f"{fmax['constraint']:.1f} MHz", "[green]met[/green]" if ok else
                      "[red]FAILED[/red]")
    return table


def run(args) -> int:
    from bitspin.boards import build_for_board
    from bitspin.boards.designs import build_options, identifying_params, make_top
    from bitspin.boards.catalog import board_by_name
    out = args.out or Path("build") / f"{args.board}-{args.design}"
    size, lanes, k = (given if given is not None else default for given, default in zip(
        (args.size, args.lanes, args.precision), board_by_name(args.board).ising_defaults))
    params = {"baud": args.baud, "size": size, "lanes": lanes, "k": k,
              "engine": args.engine, "board": args.board, "gan_lanes": args.gan_lanes,
              "chunk_bits": args.chunk_bits, "gan_batch": args.gan_batch,
              "clock_mhz": args.clock_mhz, "cores": args.cores,
              "rng": args.rng, "replicas": args.replicas, "couplings": args.couplings,
              "lane_rule": args.lane_rule,
              "sums": board_by_name(args.board).ising_sums if args.sums is None else args.sums}
    from bitspin.sw.gan.engine_configs import engine_image
    top = make_top(args.design, params, gan_images=engine_image)
    console = Console(stderr=True)
    with console.status(f"building {args.design} for {args.board} (yosys, nextpnr, packer)...") as status:
        result = build_for_board(top, args.board, out, seed=args.seed,
                                 log=lambda line: status.update(f"[dim]{line[:100]}[/dim]"),
                                 **build_options(args.design, args.router))
    extra = {}
    if getattr(top, "frequency", None) is not None:  # a PLL-clocked top (--clock-mhz)
        extra = {"clock_mhz": round(top.frequency / 1e6, 6), "pll": {
            k: v for k, v in top.pll_params.items() if not k.startswith("f_")}}
    if args.json:
        print(json.dumps({"design": args.design,
                          "params": identifying_params(args.design, params),
                          **result.as_dict(), **extra}, indent=2))
    else:
        Console().print(report_table(result))
        Console().print(f"bitstream: {result.bitstream}  ({result.elapsed_s:.1f} s)")
    return 0 if result.report.timing_met else 1
