"""``bitspin flash``: load a bitstream into a board over USB."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console


def add_parser(sub):
    from bitspin.boards.catalog import BOARDS
    parser = sub.add_parser("flash", help="load a bitstream into a board (openFPGALoader)")
    parser.add_argument("--board", required=True, choices=sorted(BOARDS))
    parser.add_argument("--bitstream", required=True, type=Path)
    parser.add_argument("--persist", action="store_true",
                        help="write the configuration flash (survives power-off), not SRAM")
    parser.set_defaults(run=run)


def run(args) -> int:
    from bitspin.boards.flash import flash
    console = Console(stderr=True)
    with console.status(f"flashing {args.bitstream} to {args.board}..."):
        result = flash(args.board, args.bitstream, persistent=args.persist)
    console.print(f"{result.bitstream} loaded into {result.board} "
                  f"({'flash' if result.persistent else 'SRAM'}) with {result.tool}")
    return 0
