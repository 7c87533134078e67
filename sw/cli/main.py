"""Entry point of the ``bitspin`` command: dispatch to subcommands, turn known errors into messages."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from rich.console import Console

__all__ = ["main", "SUBCOMMANDS"]

# subcommand -> module under sw.cli; each module defines add_parser(subparsers) and run(args).
SUBCOMMANDS = {
    "doctor": "bitspin.sw.cli.doctor",
    "build": "bitspin.sw.cli.build",
    "demo": "bitspin.sw.cli.demo",
    "ising": "bitspin.sw.cli.ising",
    "bench": "bitspin.sw.cli.bench",
    "gan": "bitspin.sw.cli.gan",
    "sim": "bitspin.sw.cli.sim",
    "flash": "bitspin.sw.cli.flash",
    "farm": "bitspin.sw.cli.farm",
    "design-space": "bitspin.sw.cli.design_space",
}


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bitspin", description="Ising MCMC sampling and binarized DCGAN inference on open FPGAs.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in SUBCOMMANDS.items():
        importlib.import_module(module).add_parser(sub)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    from bitspin.boards.build import BuildFailure
    from bitspin.boards.flash import FlashFailure
    from bitspin.hw.toolchain import ToolNotFound
    from bitspin.sim.simulate import SimulationFailure
    from bitspin.sim.virtual_board import VirtualBoardBuildError, VirtualBoardError
    from bitspin.sw.device.errors import DeviceError
    from bitspin.sw.energy.meter import MeterError
    from bitspin.sw.farm.cluster import FarmError
    return (UsageError, FarmError, ValueError, FileNotFoundError, ToolNotFound, BuildFailure,
            SimulationFailure, FlashFailure, DeviceError, ConnectionError, VirtualBoardError,
            VirtualBoardBuildError, MeterError)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        return 130
    except _known_errors() as error:
        if os.environ.get("BITSPIN_DEBUG"):
            raise
        console.print(f"[bold red]error:[/bold red] {error}", highlight=False)
        return 2 if isinstance(error, (UsageError, ValueError)) else 1


if __name__ == "__main__":
    sys.exit(main())
