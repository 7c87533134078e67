"""Bit-exact NumPy model of the lagged-Fibonacci wheels (``bitspin.hw.ising.wheel_spec``)."""

from __future__ import annotations

import numpy as np

from bitspin.hw.ising.wheel_spec import (WHEEL_ADD_LAG, WHEEL_LONG_LAG, WHEEL_MIX_LAG,
                                         WheelLayout)

from .rng import splitmix64

__all__ = ["WheelRngs"]

_ADD_FROM = WHEEL_LONG_LAG - WHEEL_ADD_LAG          # x_{n+j-75} is state[j + 52]
_MIX_FROM = WHEEL_LONG_LAG - WHEEL_MIX_LAG          # x_{n+j-125} is state[j + 2]


class WheelRngs:
    """The wheels of ``lanes`` lanes, seeded from ``seed`` as the hardware seeds them (by
    injection, ``wheel_spec``); :meth:`draw`
    gives one k-bit number per lane, like :class:`sw.ising.rng.LaneRngs`."""

    def __init__(self, seed: int, lanes: int, k: int):
        self.layout = layout = WheelLayout(lanes, k)
        self.k = k
        self.mask = np.uint64((1 << k) - 1)
        self.state = np.zeros((layout.wheels, WHEEL_LONG_LAG), dtype=np.uint64)
        outputs = splitmix64(seed, layout.seed_outputs)
        c, segments = layout.segment_bits, layout.segments
        for r in range(layout.rounds):
            bits = 0
            for t, value in enumerate(outputs[r * segments:(r + 1) * segments]):
                bits |= ((int(value) | 1) & ((1 << c) - 1)) << (t * c)
            inject = (bits >> np.arange(lanes, dtype=object)) & 1
            self._advance(inject.astype(np.uint64).reshape(layout.wheels, -1))
        for _ in range(layout.warmup_advances):
            self._advance()

    def _step(self) -> tuple[np.ndarray, np.ndarray]:
        """The G new words of every wheel, and the lanes' numbers (uint32 [lanes]): the same."""
        g, x = self.layout.wheel_lanes, self.state
        new = (x[:, _ADD_FROM:_ADD_FROM + g] + (x[:, _MIX_FROM:_MIX_FROM + g] ^ x[:, :g])) \
            & self.mask
        return new, new.reshape(-1).astype(np.uint32)

    def peek(self) -> np.ndarray:
        """The numbers the next :meth:`draw` returns (uint32 [lanes]), without advancing."""
        return self._step()[1]

    def _advance(self, inject=None) -> np.ndarray:
        """Every wheel advances by G words, ``inject`` (0/1 [wheels, G]) added as carries;
        returns the lanes' numbers of the state before."""
        new, out = self._step()
        if inject is not None:
            new = (new + inject) & self.mask
        self.state = np.concatenate([self.state[:, self.layout.wheel_lanes:], new], axis=1)
        return out

    def draw(self) -> np.ndarray:
        """One k-bit number per lane (uint32 [lanes], lane i = wheel i // G, word i % G); then
        every wheel advances by G words."""
        return self._advance()

    def draw_many(self, count: int) -> np.ndarray:
        """``count`` successive draws: uint32 [count, lanes]."""
        out = np.empty((count, self.layout.lanes), dtype=np.uint32)
        for n in range(count):
            out[n] = self.draw()
        return out
