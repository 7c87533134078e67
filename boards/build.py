"""Build any top-level design into a bitstream with Amaranth's build system and the YoWASP tools."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bitspin.hw import toolchain
from bitspin.hw.replica import KEEP_REPLICAS_SCRIPT

from .catalog import board_by_name
from .report import BuildReport, parse_nextpnr_report

__all__ = ["build_for_board", "synthesise_for_board", "BuildResult", "BuildFailure"]


class BuildFailure(RuntimeError):
    """Synthesis, place-and-route or packing failed; the message holds the log's tail."""


@dataclass
class BuildResult:
    """A finished build: the bitstream, the parsed nextpnr report and where the logs are."""
    board: str
    bitstream: Path
    report: BuildReport
    build_dir: Path
    elapsed_s: float
    seed: int
    router: str = "router1"

    def as_dict(self) -> dict:
        return {"board": self.board, "bitstream": str(self.bitstream), "seed": self.seed,
                "router": self.router, "elapsed_s": round(self.elapsed_s, 1),
                **self.report.as_dict()}


def _bitstream_name(family: str, name: str) -> str:
    return f"{name}.bin" if family == "ice40" else f"{name}.bit"


ROUTERS = ("router1", "router2")
# nextpnr-ecp5's default router1 spent hours on the congestion of wide Ising cores (L=256, P=64);
# router2 routes them in minutes. iCE40 builds keep router1, with which their figures were taken.
DEFAULT_ROUTER = {"ecp5": "router2", "ice40": "router1"}


def build_for_board(top, board: str, out_dir: Path, *, name: str = "top", seed: int = 1,
                    router: str | None = None, log=None, synth_opts: str = "") -> BuildResult:
    """Synthesize, place, route and pack ``top`` for ``board``; return the parsed report.

    ``top`` is an elaboratable that requests its pins from the platform it is given. nextpnr runs
    with ``--seed seed`` (the same seed gives the same bitstream), ``--router router`` (default:
    ``DEFAULT_ROUTER`` of the board's family) and ``--timing-allow-fail``,
    so a design that misses timing still yields a report whose ``timing_met`` is False. The
    whole tool output goes to ``out_dir/build.log``; ``log``, if given, is called with each line.
    ``synth_opts`` are extra options of Yosys's ``synth_*`` command (``designs.SYNTH_OPTS``).
    """
    spec = board_by_name(board)
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    router = router or DEFAULT_ROUTER[spec.family]
    if router not in ROUTERS:
        raise ValueError(f"router must be one of {', '.join(ROUTERS)}, not {router!r}")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("yosys", f"nextpnr-{spec.family}", "icepack" if spec.family == "ice40"
                 else "ecppack"):
        toolchain.require(tool)

    report_file = out_dir / f"{name}.report.json"
    report_file.unlink(missing_ok=True)
    plan = _extract(top, spec, out_dir, name, synth_opts,
                    nextpnr_opts=f"--seed {seed} --router {router} --timing-allow-fail "
                                 f"--report {report_file.name}")

    started = time.monotonic()
    log_path = out_dir / "build.log"
    lines = []
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(["sh", f"{plan.script}.sh"], cwd=out_dir, text=True,
                                   env=toolchain.toolchain_environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in process.stdout:
            log_file.write(line)
            lines.append(line)
            if log is not None:
                log(line.rstrip("\n"))
        process.wait()
    elapsed = time.monotonic() - started
    bitstream = out_dir / _bitstream_name(spec.family, name)
    if process.returncode != 0 or not bitstream.exists():
        report = out_dir / f"{name}.rpt"
        tail = "".join(lines[-40:]) + "".join(f"{line} (yosys, {report})\n"
                                               for line in _yosys_errors(report))
        raise BuildFailure(f"build for {board} failed (exit {process.returncode}); "
                           f"log: {log_path}\n{tail}")
    return BuildResult(board, bitstream, parse_nextpnr_report(report_file), out_dir, elapsed, seed,
                       router)


def synthesise_for_board(top, board: str, out_dir: Path, *, name: str = "top",
                         synth_opts: str = "") -> Path:
    """Run only the Yosys step of :func:`build_for_board` (the same script, replica-keeping
    included) on ``top`` for ``board``; return the synthesised netlist's path, or raise
    :class:`BuildFailure` with Yosys's errors. Seconds where place and route takes minutes."""
    spec = board_by_name(board)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    _extract(top, spec, out_dir, name, synth_opts, nextpnr_opts="")
    report = out_dir / f"{name}.rpt"
    done = subprocess.run([toolchain.require("yosys").path, "-q", "-l", report.name,
                           f"{name}.ys"], cwd=out_dir, capture_output=True, text=True,
                          env=toolchain.toolchain_environment())
    errors = _yosys_errors(report)
    if done.returncode != 0 or errors:
        raise BuildFailure(f"yosys failed for {board} (exit {done.returncode}); report: "
                           f"{report}\n" + "\n".join(errors))
    return out_dir / f"{name}.json"


def _extract(top, spec, out_dir: Path, name: str, synth_opts: str, *, nextpnr_opts: str):
    """Write the build's files for ``top`` into ``out_dir``: the design, Yosys's script (the
    replicas kept, ``synth_opts``) and the tools' scripts; return Amaranth's build plan."""
    plan = spec.platform().prepare(top, name=name, script_after_read=KEEP_REPLICAS_SCRIPT,
                                   synth_opts=synth_opts, nextpnr_opts=nextpnr_opts)
    plan.extract(out_dir)
    return plan


def _yosys_errors(report: Path) -> list[str]:
    """The ERROR lines of Yosys's report (it runs quietly, -q: its errors are there, not in the
    tool output)."""
    if not report.exists():
        return []
    return [line for line in report.read_text(errors="replace").splitlines()
            if line.startswith("ERROR")]
