"""Bit-exact NumPy model of the Ising core's per-lane random number generators.

Constants and the exact definition live in ``bitspin.hw.ising.params``: xoroshiro64+ per lane, seeded
from SplitMix64. All arithmetic is in uint32/uint64 with wrap-around, as in the hardware.
"""

from __future__ import annotations

import numpy as np

from bitspin.hw.ising.params import (SPLITMIX64_GAMMA, SPLITMIX64_MUL1, SPLITMIX64_MUL2,
                             XOROSHIRO64_ROTATE_S0, XOROSHIRO64_ROTATE_S1, XOROSHIRO64_SHIFT)

__all__ = ["splitmix64", "LaneRngs"]

_MASK64 = (1 << 64) - 1


def splitmix64(seed: int, count: int) -> list[int]:
    """The first ``count`` outputs of SplitMix64 started at ``seed`` (a 64-bit integer)."""
    if not isinstance(seed, int) or not 0 <= seed <= _MASK64:
        raise ValueError(f"seed must be an integer in [0, 2^64), not {seed!r}")
    state, out = seed, []
    for _ in range(count):
        state = (state + SPLITMIX64_GAMMA) & _MASK64
        z = state
        z = ((z ^ (z >> 30)) * SPLITMIX64_MUL1) & _MASK64
        z = ((z ^ (z >> 27)) * SPLITMIX64_MUL2) & _MASK64
        out.append(z ^ (z >> 31))
    return out


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


class LaneRngs:
    """``lanes`` independent xoroshiro64+ streams, advanced together like the hardware lanes."""

    def __init__(self, seed: int, lanes: int, k: int):
        states = [z if z else 1 for z in splitmix64(seed, lanes)]
        self.s0 = np.array([z & 0xFFFFFFFF for z in states], dtype=np.uint32)
        self.s1 = np.array([z >> 32 for z in states], dtype=np.uint32)
        self.k = k

    def draw(self) -> np.ndarray:
        """One k-bit number per lane (uint32 [lanes]); then every lane's state steps once."""
        out = (self.s0 + self.s1) >> np.uint32(32 - self.k)
        t = self.s0 ^ self.s1
        self.s0 = _rotl(self.s0, XOROSHIRO64_ROTATE_S0) ^ t ^ (t << np.uint32(XOROSHIRO64_SHIFT))
        self.s1 = _rotl(t, XOROSHIRO64_ROTATE_S1)
        return out

    def draw_many(self, count: int) -> np.ndarray:
        """``count`` successive draws: uint32 [count, lanes]."""
        out = np.empty((count, len(self.s0)), dtype=np.uint32)
        for n in range(count):
            out[n] = self.draw()
        return out

    def raw_stream(self, count: int) -> np.ndarray:
        """The full 32-bit outputs of lane streams, for statistical test batteries."""
        saved, self.k = self.k, 32
        try:
            return self.draw_many(count)
        finally:
            self.k = saved
