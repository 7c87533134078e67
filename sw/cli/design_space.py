"""``bitspin design-space``: the largest Ising and GAN parallelism that fits a board and meets
timing, from real builds; a table, JSON for ``bitspin bench --build-json``, and markdown."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bitspin.sw.cli.lists import int_list, pair_list
from bitspin.sw.cli.paths import output_dir, output_file

# Per board family, the points tried when none are given: the GAN shapes are M×B (output
# channels × input bits per lane per clock).
DEFAULT_LANES = {"ice40": "2,4,8,16,32", "ecp5": "16,32,64,128,256"}
DEFAULT_GAN_SHAPES = {"ice40": "2x16,4x16,4x32,8x32", "ecp5": "8x32,16x32,16x64,32x64,32x128"}
DEFAULT_SIZE = {"ice40": 64, "ecp5": 256}


def add_parser(sub):
    from bitspin.boards.catalog import BOARDS
    parser = sub.add_parser(
        "design-space", help="sweep Ising lanes and GAN parallelism on a board (real builds)",
        description="Build increasing Ising lanes P and GAN engine shapes for a board and report "
                    "the largest that fit and meet timing, with fmax and utilization. Each point "
                    "is a full Yosys + nextpnr build (minutes each; hours for large ECP5 points).")
    parser.add_argument("--board", required=True, choices=sorted(BOARDS))
    parser.add_argument("--designs", default="ising,gan", help="ising, gan or both")
    parser.add_argument("--size", type=int, default=None,
                        help="Ising L (default: 64 on iCE40, 256 on ECP5)")
    parser.add_argument("--lanes", default=None, help="Ising P values, comma-separated")
    parser.add_argument("--engine", default=None,
                        help="GAN engine configuration whose model is used (default: the board's)")
    parser.add_argument("--gan-shapes", default=None, metavar="MxB,...",
                        help="GAN engine lanes × chunk bits, comma-separated")
    parser.add_argument("--clock-mhz", type=float, default=None, metavar="F",
                        help="clock every point from the PLL at F MHz: timing is met at F "
                             "(default: the board's oscillator)")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    parser.add_argument("--keep-going", action="store_true",
                        help="build every point, not stopping after the first that fails")
    parser.add_argument("--build-dir", type=output_dir, default=None,
                        help="where the builds go (default: build/design-space-BOARD)")
    parser.add_argument("--out", type=output_file, default=None,
                        help="JSON (default: out/design-space/BOARD.json)")
    parser.add_argument("--markdown", type=output_file, default=None,
                        help="also write the table as markdown to this file")
    parser.add_argument("--json", action="store_true", help="print the JSON document")
    parser.set_defaults(run=run)


def run(args) -> int:
    from bitspin.boards.catalog import board_by_name
    from bitspin.boards.design_space import run_sweep, sweep_points
    from bitspin.sw.gan.engine_configs import engine_for_board, engine_image
    family = board_by_name(args.board).family
    designs = [d for d in args.designs.split(",") if d]
    if not designs or set(designs) - {"ising", "gan"}:
        raise ValueError(f"--designs must name ising and/or gan, not {args.designs!r}")
    points = []
    if "ising" in designs:
        lanes = int_list(args.lanes or DEFAULT_LANES[family], "--lanes")
        points += sweep_points("ising", size=args.size or DEFAULT_SIZE[family], lanes=lanes)
    if "gan" in designs:
        shapes = pair_list(args.gan_shapes or DEFAULT_GAN_SHAPES[family], "--gan-shapes",
                           "8x32,16x64")
        points += sweep_points("gan", engine=args.engine or engine_for_board(args.board),
                               gan_shapes=shapes)
    build_dir = args.build_dir or Path("build") / f"design-space-{args.board}"
    out = args.out or Path("out") / "design-space" / f"{args.board}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("", total=None)
        space = run_sweep(args.board, points, build_dir, seed=args.seed, clock_mhz=args.clock_mhz,
                          keep_going=args.keep_going, gan_images=engine_image,
                          on_point=lambda p: progress.update(task, description=f"building "
                                                             f"{p.label} for {args.board}"),
                          log=lambda line: progress.update(task, description=line[:100]),
                          # written after every point: a long sweep stopped part-way keeps them
                          on_record=lambda partial: out.write_text(json.dumps(partial, indent=2)))
    out.write_text(json.dumps(space, indent=2))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(space))
    if args.json:
        print(json.dumps(space, indent=2))
    else:
        Console().print(table(space))
        Console().print(f"JSON: {out}" + (f", markdown: {args.markdown}" if args.markdown else ""))
    return 0


def _resources(record: dict) -> dict[str, str]:
    used = record.get("resources") or {}
    return {kind: f"{used[kind]['used']}/{used[kind]['available']}"
            for kind in ("LUT", "FF", "BRAM", "SPRAM", "DSP") if kind in used}


def _rows(space: dict):
    """(design, configuration, fits, timing, fmax, LUT, FF, BRAM, SPRAM, best?) per point."""
    best = {d: (r["params"], r["parallelism"]) for d, r in space["best"].items()}
    for record in space["points"]:
        params = record["params"]
        config = (f"L={params['size']} P={params['lanes']}" if record["design"] == "ising" else
                  f"{params['engine']} {params['gan_lanes']}×{params['chunk_bits']}")
        fmax = record["fmax_mhz"]
        slowest = f"{min(c['achieved'] for c in fmax.values()):.1f}" if fmax else "-"
        res = _resources(record)
        mark = "yes" if best.get(record["design"]) == (params, record["parallelism"]) else ""
        yield (record["design"], config, "yes" if record["fits"] else "no",
               ("met" if record["timing_met"] else "missed") if record["fits"] else "-", slowest,
               res.get("LUT", "-"), res.get("FF", "-"), res.get("BRAM", "-"),
               res.get("SPRAM", "-"), mark, record.get("reason", ""))


HEADER = ("design", "configuration", "fits", "timing", "fmax MHz", "LUT", "FF", "BRAM", "SPRAM",
          "largest that fits and meets timing", "why not")


def table(space: dict) -> Table:
    """The sweep as a terminal table."""
    clock = f"PLL {space['clock_mhz']} MHz" if space["clock_mhz"] else "the board's oscillator"
    result = Table(title=f"design space of {space['board']} (timing at {clock})")
    for column in HEADER:
        result.add_column(column)
    for row in _rows(space):
        result.add_row(*row)
    return result


def markdown(space: dict) -> str:
    """The sweep as a markdown section."""
    clock = f"PLL at {space['clock_mhz']} MHz" if space["clock_mhz"] else "the board's oscillator"
    lines = [f"### {space['board']} (timing at {clock}; nextpnr seed {space['seed']}; "
             f"{space['date']})", "", "| " + " | ".join(HEADER) + " |",
             "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in _rows(space)]
    return "\n".join(lines) + "\n"
