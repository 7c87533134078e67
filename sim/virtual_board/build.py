"""Build a virtual board executable: any device top, Verilated, linked with ``harness.cpp``.

The build is cached under ``bitspin.sim.cache.cache_root() / "virtual_board"``, keyed by the Verilog text,
the harness source, the Verilator version, the divisor and the build flags, so a second call with
the same design returns at once. Parallel callers build each entry once (``bitspin.sim.cache.locked``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from amaranth import Shape
from amaranth.back import verilog
from amaranth.lib import wiring
from amaranth.lib.wiring import Flow

from bitspin.hw import toolchain
from bitspin.hw.uart import check_divisor

from ..cache import cache_root, locked

__all__ = ["build_virtual_board", "check_board_top", "VirtualBoardBuildError", "HARNESS"]

HARNESS = Path(__file__).with_name("harness.cpp")
# Headers that harness.cpp includes; they go into the build folder and the cache key with it.
HARNESS_HEADERS = (Path(__file__).with_name("uart_line.h"),
                   Path(__file__).with_name("refused_clients.h"))
EXECUTABLE = "vboard"
_JOBS = 2  # the machine has two cores, shared with other work
# Verilator's -O3 plus -O2 for both the generated model (OPT_FAST is -Os by default) and the
# harness; --x-assign/--x-initial fast are safe because Amaranth gives every register an init.
_VERILATOR_FLAGS = ("--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast",
                    "--noassert", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--prefix", "Vtop")
_MAKE_FLAGS = "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2"
_LOG_TAIL_LINES = 40


class VirtualBoardBuildError(RuntimeError):
    """Verilator could not build the virtual board; the message ends with the build log's tail."""


def check_board_top(design) -> None:
    """Raise ``TypeError`` unless ``design`` follows the virtual board's top contract.

    The top is an Amaranth ``wiring.Component`` with the 1-bit ports ``rx: In(1)``,
    ``tx: Out(1)`` and ``activity: Out(1)``, clocked by the default ``sync`` domain. Other ports
    may exist; the harness leaves their inputs at 0 and ignores their outputs.
    """
    if not isinstance(design, wiring.Component):
        raise TypeError(f"a virtual board top must be an amaranth.lib.wiring.Component, "
                        f"not {type(design).__name__}")
    members = design.signature.members
    for name, flow in (("rx", Flow.In), ("tx", Flow.Out), ("activity", Flow.Out)):
        if name not in members:
            raise TypeError(f"{type(design).__name__} has no `{name}` port; a virtual board top "
                            f"needs rx: In(1), tx: Out(1) and activity: Out(1)")
        member = members[name]
        if not member.is_port or member.flow != flow or Shape.cast(member.shape).width != 1:
            raise TypeError(f"{type(design).__name__}.{name} must be {flow.name}(1), "
                            f"not {member!r}")


def _log_tail(log: Path) -> str:
    if not log.exists():
        return "(no build log was written)"
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(lines[-_LOG_TAIL_LINES:])


def build_virtual_board(design, *, divisor: int, name: str = "top") -> Path:
    """Build (or fetch from the cache) the virtual board executable for ``design``.

    Parameters
    ----------
    design
        The device top (see :func:`check_board_top`).
    divisor
        Clocks per UART bit, the one ``design`` was elaborated with. It becomes the
        executable's default ``--divisor``; a ``design.divisor`` attribute must agree with it.
    name
        The Verilog module name of the top.

    Returns
    -------
    Path
        The executable.

    Raises
    ------
    VirtualBoardBuildError
        With the tail of the build log, when Verilator or the C++ compiler fails.
    """
    check_board_top(design)
    check_divisor(divisor)
    own = getattr(design, "divisor", None)
    if isinstance(own, int) and own != divisor:
        raise ValueError(f"{type(design).__name__} was elaborated with divisor {own}, "
                         f"but the virtual board was asked for divisor {divisor}")
    if not name.isidentifier():
        raise ValueError(f"the top's module name must be a plain identifier, not {name!r}")
    status = toolchain.require("verilator")

    source = verilog.convert(design, name=name, emit_src=False)
    harness = HARNESS.read_text()
    headers = {path.name: path.read_text() for path in HARNESS_HEADERS}
    flags = [*_VERILATOR_FLAGS, "--top-module", name, "-Mdir", "obj", "-o", EXECUTABLE,
             "-j", str(_JOBS), "-CFLAGS", f"-O2 -DBITSPIN_DEFAULT_DIVISOR={divisor}",
             "-MAKEFLAGS", _MAKE_FLAGS]
    key = hashlib.sha256("\0".join([
        source, harness, *headers.values(), status.version or "unknown", str(divisor), *flags,
    ]).encode()).hexdigest()[:20]
    build_dir = cache_root() / "virtual_board" / f"{name}-{key}"
    executable = build_dir / "obj" / EXECUTABLE

    with locked(build_dir):
        stamp = build_dir / "BUILT"
        if stamp.exists() and executable.exists():
            return executable
        shutil.rmtree(build_dir / "obj", ignore_errors=True)  # a half-finished earlier attempt
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / f"{name}.v").write_text(source)
        (build_dir / "harness.cpp").write_text(harness)
        for header_name, text in headers.items():
            (build_dir / header_name).write_text(text)
        log = build_dir / "build.log"
        argv = ["verilator", *flags, f"{name}.v", "harness.cpp"]
        with open(log, "w") as handle:
            handle.write(" ".join(argv) + "\n")
            handle.flush()
            try:
                done = subprocess.run(argv, cwd=build_dir, stdout=handle,
                                      stderr=subprocess.STDOUT,
                                      env=toolchain.toolchain_environment())
            except OSError as error:
                raise VirtualBoardBuildError(f"cannot run verilator: {error}") from None
        if done.returncode != 0 or not executable.exists():
            raise VirtualBoardBuildError(
                f"Verilator build of the virtual board for {type(design).__name__} failed "
                f"(exit status {done.returncode}); build log {log}:\n" + _log_tail(log))
        stamp.write_text(json.dumps({"top": name, "divisor": divisor,
                                     "verilator": status.version}))
    return executable
