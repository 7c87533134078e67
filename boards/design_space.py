"""Design-space sweep: for one board, how much Ising and GAN parallelism fits and meets timing.

Each point is a real build (Yosys + nextpnr, ``build_for_board``). Points of one design are
built in increasing parallelism; the sweep of a design stops at the first point that does not
fit or misses timing, since more lanes only need more logic and longer nets. The result is one
JSON document (``SPACE_FORMAT``) that ``bitspin bench --build-json`` also reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .build import BuildFailure, build_for_board
from .catalog import board_by_name
from .designs import GanImageSource, build_options, identifying_params, make_top

__all__ = ["SPACE_FORMAT", "SweepPoint", "sweep_points", "build_point", "run_sweep", "best_points"]

SPACE_FORMAT = "bitspin-design-space"


@dataclass(frozen=True)
class SweepPoint:
    """One configuration to build: ``design`` ("ising" or "gan") with CLI-named ``params``."""
    design: str
    params: dict

    @property
    def parallelism(self) -> int:
        """Spins per clock (Ising) or binary MACs per clock (GAN): what the sweep maximises."""
        if self.design == "ising":
            return self.params["lanes"]
        return self.params["gan_lanes"] * self.params["chunk_bits"]

    @property
    def label(self) -> str:
        if self.design == "ising":
            return f"ising L={self.params['size']} P={self.params['lanes']}"
        return (f"gan {self.params['engine']} {self.params['gan_lanes']}×"
                f"{self.params['chunk_bits']}")


def sweep_points(design: str, *, size: int = 256, lanes: list[int] = (),
                 engine: str | None = None, gan_shapes: list[tuple[int, int]] = ()) -> list:
    """The points of one design in increasing parallelism (parameters checked up front)."""
    from bitspin.hw.gan.plan import EngineParams
    from bitspin.hw.ising.params import IsingParams
    if design == "ising":
        points = [SweepPoint("ising", {"size": size, "lanes": p, "k": 16})
                  for p in sorted(set(lanes))]
        for point in points:
            IsingParams(point.params["size"], point.params["lanes"])
        return points
    if design == "gan":
        points = []
        for m, b in sorted(set(gan_shapes), key=lambda s: (s[0] * s[1], s)):
            EngineParams(m, b)
            points.append(SweepPoint("gan", {"engine": engine, "gan_lanes": m, "chunk_bits": b}))
        return points
    raise ValueError(f"design must be 'ising' or 'gan', not {design!r}")


def build_point(point: SweepPoint, board: str, out_dir: Path, *, seed: int = 1,
                clock_mhz: float | None = None, log: Callable | None = None,
                gan_images: GanImageSource | None = None) -> dict:
    """Build one point; a design that does not fit gives ``fits: False`` and the tool's reason."""
    params = {**point.params, "board": board, "clock_mhz": clock_mhz}
    name = "-".join(f"{v}" for v in point.params.values() if v is not None)
    started = time.monotonic()
    record = {"design": point.design, "board": board,
              "params": identifying_params(point.design, params),
              "parallelism": point.parallelism, "seed": seed, "clock_mhz": clock_mhz}
    try:
        result = build_for_board(make_top(point.design, params, gan_images), board,
                                 Path(out_dir) / f"{point.design}-{name}", seed=seed, log=log,
                                 **build_options(point.design))
    except BuildFailure as failure:
        lines = [line for line in str(failure).splitlines() if line.strip()]
        reason = next((line for line in lines if "ERROR" in line or "Error" in line),
                      lines[-1] if lines else "build failed")
        return {**record, "fits": False, "timing_met": False, "fmax_mhz": None,
                "resources": None, "reason": reason.strip()[:300],
                "elapsed_s": round(time.monotonic() - started, 1)}
    return {**record, "fits": True, **result.report.as_dict(), "bitstream": str(result.bitstream),
            "elapsed_s": round(result.elapsed_s, 1)}


def run_sweep(board: str, points: list, out_dir: Path, *, seed: int = 1,
              clock_mhz: float | None = None, keep_going: bool = False,
              on_point: Callable | None = None, log: Callable | None = None,
              on_record: Callable | None = None,
              gan_images: GanImageSource | None = None) -> dict:
    """Build ``points`` (grouped by design, increasing parallelism); the design-space document.

    ``on_record``, if given, receives the document as it stands after each point (``complete``
    is False until the last), so that a long sweep interrupted part-way keeps its results.
    """
    board_by_name(board)
    records = []

    def document(complete: bool) -> dict:
        return {"format": SPACE_FORMAT, "version": 1, "board": board, "seed": seed,
                "clock_mhz": clock_mhz, "date": time.strftime("%Y-%m-%d"), "complete": complete,
                "points": list(records), "best": best_points(records)}

    stopped: set[str] = set()
    for point in points:
        if point.design in stopped:
            continue
        if on_point:
            on_point(point)
        record = build_point(point, board, out_dir, seed=seed, clock_mhz=clock_mhz, log=log,
                             gan_images=gan_images)
        records.append(record)
        if on_record:
            on_record(document(False))
        if not keep_going and not (record["fits"] and record["timing_met"]):
            stopped.add(point.design)
    return document(True)


def best_points(records: list[dict]) -> dict:
    """Per design, the point of largest parallelism that fits and meets timing (or None)."""
    best: dict = {}
    for record in records:
        if not (record["fits"] and record["timing_met"]):
            continue
        current = best.get(record["design"])
        if current is None or record["parallelism"] > current["parallelism"]:
            best[record["design"]] = record
    return best
