"""Bit-exact NumPy model of the Ising core (``bitspin.hw.ising.core.IsingCore``).

It reproduces the core's lane-to-site schedule, per-lane RNG streams, threshold compare and
observables exactly, so for the same parameters, seed and operations it produces the same
lattice and the same (M, B) stream. Within a half-sweep the updated sites never neighbour each
other, so a whole half is computed at once from the draws of its G·S steps.
"""

from __future__ import annotations

import time

import numpy as np

from bitspin.hw.ising.params import IsingParams, TABLE_SIZE, lane_rule_table

from .result import SamplerRun, lattice_observables
from .generators import lane_rngs

__all__ = ["GoldenIsingCore", "site_schedule"]


def site_schedule(params: IsingParams, colour: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) int arrays of shape [G·S, P]: the site lane i updates at step n of a colour half."""
    L, P = params.size, params.lanes
    n = np.arange(params.steps_per_half)[:, None]
    i = np.arange(P)[None, :]
    g, s = n // params.steps_per_group, n % params.steps_per_group
    j = s * P + i
    y = g * params.rows_per_group + j // (L // 2)
    x = 2 * (j % (L // 2)) + (colour + y) % 2
    return y, x


class GoldenIsingCore:
    """The core's state (lattice and lane RNGs) and its operations, in NumPy."""

    def __init__(self, params: IsingParams, couplings=None):
        self.params = params
        L = params.size
        if couplings is not None and couplings.size != L:
            raise ValueError(f"the couplings are for L = {couplings.size}, the core has L = {L}")
        self.couplings = couplings
        self.lattice = np.zeros((L, L), dtype=np.uint8)
        self.rngs = None            # LaneRngs or WheelRngs, once seeded
        self.flips = 0
        self._schedule = [site_schedule(params, c) for c in (0, 1)]
        # Per colour, the sign bits of each scheduled site's four bonds (right, left, down, up):
        # a -1 bond inverts the neighbour's bit before it is counted, as the gateware will.
        self._negations = None
        if couplings is not None:
            negations = couplings.negations()
            self._negations = [[negations[d][y, x] for d in ("right", "left", "down", "up")]
                               for y, x in self._schedule]

    def seed(self, seed: int) -> None:
        """Seed the lanes' generators from SplitMix64, like the core's SEED operation (lane i:
        output i; wheels: ``hw.ising.wheel_spec``)."""
        self.rngs = lane_rngs(self.params.rng, seed, self.params.lanes, self.params.k)

    def init_cold(self) -> None:
        """All spins up."""
        self.lattice[:] = 1

    def init_hot(self) -> None:
        """Two hot half-passes: every site takes the top bit of its lane's draw."""
        for colour in (0, 1):
            y, x = self._schedule[colour]
            self.lattice[y, x] = (self._draws() >> (self.params.k - 1)).astype(np.uint8)

    def load(self, lattice: np.ndarray) -> None:
        """Load a host-given lattice (uint8 [L, L], 1 = up)."""
        lattice = np.asarray(lattice)
        L = self.params.size
        if lattice.shape != (L, L) or not np.isin(lattice, (0, 1)).all():
            raise ValueError(f"a lattice must be a {L}x{L} array of 0 and 1")
        self.lattice[:] = lattice

    def _draws(self) -> np.ndarray:
        if self.rngs is None:
            raise RuntimeError("seed the core before an operation that draws random numbers")
        return self.rngs.draw_many(self.params.steps_per_half)

    def _half(self, colour: int, thresholds: np.ndarray) -> None:
        y, x = self._schedule[colour]
        draws = self._draws()
        lat = self.lattice
        L = self.params.size
        neighbours = (lat[y, (x + 1) % L], lat[y, (x - 1) % L], lat[(y + 1) % L, x],
                      lat[(y - 1) % L, x])
        if self._negations is not None:
            neighbours = [n ^ neg for n, neg in zip(neighbours, self._negations[colour])]
        ups = sum(n.astype(np.int64) for n in neighbours)
        old = lat[y, x]
        flip = draws < thresholds[5 * old.astype(np.int64) + ups]
        self.flips += int(flip.sum())
        lat[y, x] = old ^ flip.astype(np.uint8)

    def run(self, sweeps: int, thresholds) -> tuple[np.ndarray, np.ndarray]:
        """``sweeps`` sweeps; returns int64 arrays (M, B), one pair after each sweep."""
        thresholds = np.asarray(thresholds, dtype=np.int64)
        limit = 1 << self.params.k
        if thresholds.shape != (TABLE_SIZE,) or (thresholds < 0).any() or (thresholds > limit).any():
            raise ValueError(f"thresholds must be {TABLE_SIZE} integers in [0, 2^k]")
        # What the lanes make of the table (itself, unless params.lane_rule says otherwise).
        thresholds = np.asarray(lane_rule_table(self.params, thresholds), dtype=np.int64)
        magnetization = np.empty(sweeps, dtype=np.int64)
        bond_sum = np.empty(sweeps, dtype=np.int64)
        for t in range(sweeps):
            self._half(0, thresholds)
            self._half(1, thresholds)
            magnetization[t], bond_sum[t] = lattice_observables(self.lattice, self.couplings)
        return magnetization, bond_sum


def run_golden(params: IsingParams, thresholds, *, sweeps: int, burn_in: int = 0, seed: int = 0,
               init="hot", progress=None, couplings=None) -> SamplerRun:
    """A whole run on the golden model: seed, initialise, then ``sweeps`` sweeps in chunks."""
    core = GoldenIsingCore(params, couplings)
    core.seed(seed)
    if isinstance(init, str):
        {"hot": core.init_hot, "cold": core.init_cold}[init]()
    else:
        core.load(init)
    started = time.perf_counter()
    ms, bs, done = [], [], 0
    while done < sweeps:
        chunk = min(sweeps - done, max(1, sweeps // 100))
        m, b = core.run(chunk, thresholds)
        ms.append(m), bs.append(b)
        done += chunk
        if progress:
            progress(done)
    elapsed = time.perf_counter() - started
    return SamplerRun(np.concatenate(ms)[burn_in:], np.concatenate(bs)[burn_in:],
                      core.lattice.copy(), core.flips, sweeps * params.size ** 2, elapsed)
