"""The golden generators of a core's lanes, for either entry of ``params.LANE_RNGS``."""

from __future__ import annotations

from .rng import LaneRngs
from .wheel_rng import WheelRngs

__all__ = ["lane_rngs"]


def lane_rngs(rng: str, seed: int, lanes: int, k: int):
    """The golden generators of ``lanes`` lanes for ``rng``, seeded as the core's SEED operation
    seeds them: :class:`~.rng.LaneRngs` or the wheels' :class:`~.wheel_rng.WheelRngs`."""
    return (WheelRngs if rng == "wheel" else LaneRngs)(seed, lanes, k)
