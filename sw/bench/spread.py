"""Repeats summarised the one way every benchmark backend reports them."""

from __future__ import annotations

__all__ = ["spread"]


def spread(key: str, values) -> dict:
    """``{key: median, key_min: min, key_max: max}`` of ``values`` (the upper median when even)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError(f"no values for {key}")
    return {key: ordered[len(ordered) // 2], f"{key}_min": ordered[0], f"{key}_max": ordered[-1]}
