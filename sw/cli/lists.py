"""Comma-separated option values (``--lanes 2,4,8``, ``--cores 64x32,256x64``), parsed once."""

from __future__ import annotations

__all__ = ["int_list", "pair_list"]


def int_list(spec: str, option: str) -> list[int]:
    """``"2,4,8"`` → [2, 4, 8]; a ValueError naming ``option`` otherwise."""
    try:
        return [int(v) for v in spec.split(",") if v]
    except ValueError:
        raise ValueError(f"{option} must be comma-separated integers, not {spec!r}") from None


def pair_list(spec: str, option: str, example: str) -> list[tuple[int, int]]:
    """``"64x32,256x64"`` → [(64, 32), (256, 64)]; a ValueError naming ``option`` and showing
    ``example`` otherwise."""
    try:
        pairs = []
        for item in (i for i in spec.split(",") if i):
            first, second = item.split("x")
            pairs.append((int(first), int(second)))
        return pairs
    except ValueError:
        raise ValueError(f"{option} must look like {example}, not {spec!r}") from None
