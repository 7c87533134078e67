"""The post-route fmax behind a ``projected`` figure: from a saved report, or from a build made now.

Accepted files: the JSON of ``bitspin build --json`` (one build), or of ``bitspin design-space
--json`` (many builds; the point with the same design and parameters is used). The slowest
clock's achieved fmax is the one a projection may use.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["fmax_from_json", "fmax_from_build", "slowest_clock_mhz"]


def slowest_clock_mhz(fmax: dict) -> float:
    """The smallest achieved fmax of a report's ``fmax_mhz`` (clock → {achieved, constraint})."""
    if not fmax:
        raise ValueError("the build report has no clocks")
    return min(float(entry["achieved"]) for entry in fmax.values())


def _same(params: dict, wanted: dict) -> bool:
    return all(params.get(key) == value for key, value in wanted.items() if value is not None)


def fmax_from_json(path: Path, design: str, params: dict, board: str) -> tuple[float, str]:
    """(fmax in MHz, where it came from) for ``design`` with ``params`` on ``board``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"--build-json {path}: cannot read it ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"--build-json {path}: not a build or design-space report")
    points = data.get("points") if "points" in data else [data]
    for point in points:
        if not isinstance(point, dict) or "fmax_mhz" not in point:
            raise ValueError(f"--build-json {path}: not a `bitspin build --json` or "
                             f"`bitspin design-space --json` report")
        if point.get("board", data.get("board")) != board or point.get("design") != design:
            continue
        if not _same(point.get("params", {}), params):
            continue
        if point.get("fits") is False:
            continue
        fmax = point["fmax_mhz"]
        mhz = slowest_clock_mhz(fmax) if isinstance(fmax, dict) else float(fmax)
        return mhz, f"post-route fmax of {design} {params} on {board}, from {path}"
    raise ValueError(f"--build-json {path}: no build of design {design!r} with {params} on "
                     f"{board}")


def fmax_from_build(design: str, params: dict, board: str, out_dir: Path,
                    progress=None) -> tuple[float, str]:
    """Build ``design`` for ``board`` now (minutes) and return its post-route fmax."""
    from bitspin.boards import build_for_board
    from bitspin.boards.designs import build_options, make_top
    from bitspin.sw.gan.engine_configs import engine_image
    top = make_top(design, {**params, "board": board}, gan_images=engine_image)
    result = build_for_board(top, board, Path(out_dir) / f"build-{board}-{design}",
                             log=(lambda line: progress(line[:100]))
                             if progress is not None else None,
                             **build_options(design))
    return (slowest_clock_mhz(result.report.fmax_mhz),
            f"post-route fmax of a build made now ({result.bitstream})")
