"""Simulate any Amaranth component under Verilator or Icarus through cocotb's Python runner.

:func:`simulate` turns a component into Verilog, builds it once per (design, simulator, waves)
into a cache, runs a cocotb test module against it, and raises :class:`SimulationFailure` (an
``AssertionError``, so pytest reports it as a test failure) carrying the failing tests' messages
and the useful tail of the cocotb log.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import verilog

from bitspin.hw import toolchain

from .cache import cache_root, locked

__all__ = ["simulate", "SimulationResult", "SimulationFailure", "SIMULATORS", "ARGS_ENV"]

SIMULATORS = ("verilator", "icarus")
# The path of a JSON file handed to the cocotb test module; see sim.testbench.args(). (A file,
# not the JSON itself: one environment string is limited to 128 KiB on Linux.)
ARGS_ENV = "BITSPIN_SIM_ARGS_FILE"
TIMESCALE = ("1ns", "1ps")  # Amaranth's Verilog has no `timescale of its own
_REPO_ROOT = Path(__file__).resolve().parent.parent


class SimulationFailure(AssertionError):
    """A cocotb test failed, or the simulator did not finish."""


@dataclass
class SimulationResult:
    """The outcome of one :func:`simulate` call."""
    simulator: str
    build_dir: Path
    run_dir: Path
    tests: dict[str, str] = field(default_factory=dict)  # test name -> "passed" | failure text
    built: bool = False  # False when the build came from the cache
    elapsed_s: float = 0.0
    waves: Path | None = None
    outputs: dict = field(default_factory=dict)  # what the test module wrote with testbench.report()


def _simulator_version(simulator: str) -> str:
    status = toolchain.find_tool("verilator" if simulator == "verilator" else "iverilog")
    if not status.found:
        raise SimulationFailure(f"{status.name} was not found: {status.fix}")
    return status.version or "unknown"


def _parse_results(path: Path) -> dict[str, str]:
    tests = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        tests[case.get("name")] = "passed" if problem is None else (
            problem.get("message") or problem.text or "failed")
    return tests


def _log_excerpt(log: Path, lines: int = 60) -> str:
    if not log.exists():
        return "(no cocotb log was written)"
    text = log.read_text(errors="replace").splitlines()
    # The traceback and assertion text matter; the banner and timing table do not.
    first_error = next((i for i, line in enumerate(text)
                        if re.search(r"Traceback|Error|FAIL|assert", line)), None)
    start = max(0, len(text) - lines) if first_error is None else max(0, first_error - 5)
    return "\n".join(text[start:start + lines])


def simulate(design, *, test_module: str, toplevel: str = "top", simulator: str = "verilator",
             args: dict | None = None, testcase: str | None = None, waves: bool = False,
             seed: int | None = None, run_dir: Path | None = None) -> SimulationResult:
    """Simulate ``design`` (an Amaranth component) with the cocotb tests in ``test_module``.

    Parameters
    ----------
    design
        The component; its ports become the Verilog top's ports (plus ``clk`` and ``rst``
        for the ``sync`` domain).
    test_module
        The dotted name of a cocotb test module, importable from the repo root.
    toplevel
        The Verilog module name of the top.
    simulator
        ``"verilator"`` or ``"icarus"``.
    args
        JSON-serializable parameters for the test module (``bitspin.sim.testbench.args()``).
    testcase
        Run only this test of the module.
    waves
        Record a waveform (VCD under Verilator, FST under Icarus) into the run folder.
    seed
        Cocotb's random seed.
    run_dir
        Where the run's log, results and waves go (a fresh folder by default).

    Returns
    -------
    SimulationResult
        What ran, where, and what the test module reported.

    Raises
    ------
    SimulationFailure
        If any cocotb test failed, or the simulator did not finish.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"unknown simulator {simulator!r}; choose one of {', '.join(SIMULATORS)}")
    toolchain.activate()
    from cocotb_tools.runner import get_runner  # after activate(): it looks verilator up on PATH

    source = verilog.convert(design, name=toplevel, emit_src=False)
    # The simulator binary links cocotb's libraries by absolute path (its run path), so a build
    # belongs to one installation: another virtual environment's build is not reused.
    import cocotb
    key = hashlib.sha256("\0".join([
        source, simulator, _simulator_version(simulator), str(waves), sys.version,
        str(Path(cocotb.__file__).resolve().parent),
    ]).encode()).hexdigest()[:20]
    build_dir = cache_root() / "sim" / simulator / f"{toplevel}-{key}"
    run_dir = Path(run_dir) if run_dir else build_dir / "runs" / uuid.uuid4().hex[:12]
    run_dir.mkdir(parents=True, exist_ok=True)
    result = SimulationResult(simulator, build_dir, run_dir)
    started = time.monotonic()

    runner = get_runner(simulator)
    with locked(build_dir):
        stamp = build_dir / "BUILT"
        if not stamp.exists():
            build_dir.mkdir(parents=True, exist_ok=True)
            verilog_file = build_dir / f"{toplevel}.v"
            verilog_file.write_text(source)
            try:
                runner.build(sources=[verilog_file], hdl_toplevel=toplevel, build_dir=build_dir,
                             timescale=TIMESCALE, waves=waves, always=True,
                             log_file=build_dir / "build.log",
                             build_args=["-Wno-fatal"] if simulator == "verilator" else [])
            except (RuntimeError, SystemExit) as error:
                raise SimulationFailure(f"{simulator} build of {toplevel} failed ({error}):\n"
                                        + _log_excerpt(build_dir / "build.log")) from None
            stamp.write_text(json.dumps({"toplevel": toplevel, "simulator": simulator}))
            result.built = True

    results_xml = run_dir / "results.xml"
    log = run_dir / "cocotb.log"
    outputs = run_dir / "outputs.json"
    pythonpath = os.pathsep.join([str(_REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    args_file = run_dir / "args.json"
    args_file.write_text(json.dumps(args or {}))
    env = {ARGS_ENV: str(args_file), "PYTHONPATH": pythonpath,
           "BITSPIN_SIM_OUTPUTS": str(outputs)}
    try:
        runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=build_dir,
                    test_dir=run_dir, results_xml=str(results_xml), log_file=log,
                    hdl_toplevel_lang="verilog",
                    extra_env=env, testcase=testcase, waves=waves, seed=seed,
                    timescale=TIMESCALE)
    except (RuntimeError, SystemExit):
        pass  # judged from the results file below, which says more than the exit code
    result.elapsed_s = time.monotonic() - started
    if not results_xml.exists():
        raise SimulationFailure(f"{simulator} did not finish {test_module} (no results file):\n"
                                + _log_excerpt(log))
    result.tests = _parse_results(results_xml)
    if not result.tests:
        raise SimulationFailure(f"{test_module} ran no cocotb test (is testcase={testcase!r} "
                                f"right?):\n" + _log_excerpt(log))
    failed = {name: text for name, text in result.tests.items() if text != "passed"}
    if failed:
        summary = "\n".join(f"  {name}: {text}" for name, text in failed.items())
        raise SimulationFailure(f"{len(failed)} of {len(result.tests)} cocotb tests failed under "
                                f"{simulator}:\n{summary}\n--- cocotb log ---\n"
                                + _log_excerpt(log))
    if outputs.exists():
        result.outputs = json.loads(outputs.read_text())
    if waves:
        # Verilator dumps into the run folder; cocotb points Icarus's dump at the build folder.
        dumps = sorted(run_dir.glob("*.vcd")) + sorted(build_dir.glob("*.fst"))
        if dumps:
            result.waves = Path(shutil.move(dumps[0], run_dir / dumps[0].name))
    return result
