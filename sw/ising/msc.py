"""Multi-spin-coded Metropolis sampler: 64 spins per 64-bit word, all cores (numba).

The CPU baseline the FPGA is measured against: the same Markov chain as the other samplers
(checkerboard Metropolis, colour 0 then colour 1, one update per site per sweep) at h = 0 with
J = ±1, statistically exact but not bit-exact with the hardware. The acceptance uses a Bernoulli
bit-plane: at h = 0 a site flips always when ΔE ≤ 0, with probability e^{−4β} when ΔE = 4|J|
and e^{−8β} when ΔE = 8|J|, each bit of one plane compared with its own probability (one set of
draws serves both cases; two planes, the second an AND, cost a third more). Each row has its own
xoshiro256++ stream seeded by SplitMix64, so a seed gives the same run for any thread count.

Lattices whose half-row n = L/2 is a multiple of 64 or at most 64 are supported; other sizes,
a field h ≠ 0 and heat-bath go to the general sampler (``bitspin.sw.ising.fast``), which
:func:`msc_unsupported` names the reason for.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .result import SamplerRun
from .rng import splitmix64
from .thresholds import check_parameters

__all__ = ["run_msc", "msc_unsupported", "pack", "unpack", "initial_lattice", "bond_signs",
           "NO_SIGNS"]

#: The kernels' ``signs`` without per-bond couplings: every bond +1 (or J's global sign).
NO_SIGNS = np.zeros((2, 4, 0, 1), dtype=np.uint64)


def _kernels():
    from . import msc_kernels
    return msc_kernels


def msc_unsupported(L: int, h: float = 0.0, algorithm: str = "metropolis") -> str | None:
    """Why the multi-spin-coded sampler cannot run this case, or None when it can."""
    if h != 0:
        return "a field h != 0"
    if algorithm != "metropolis":
        return f"the {algorithm} algorithm"
    if not isinstance(L, int) or L < 4 or L % 2:
        return f"L = {L} (needs an even L >= 4)"
    n = L // 2
    if n > 64 and n % 64:
        return f"L = {L} (L/2 must be at most 64 or a multiple of 64)"
    return None


def _layout(L: int) -> tuple[int, int]:
    n = L // 2
    return n, max(1, n // 64)


def pack(lattice: np.ndarray) -> np.ndarray:
    """A uint8 [L, L] lattice (1 = up, [y, x]) as uint64 [2, L, words] (see msc_kernels)."""
    L = lattice.shape[0]
    n, nw = _layout(L)
    spins = np.zeros((2, L, nw * 64), dtype=np.uint8)
    for colour in (0, 1):
        for y in range(L):
            spins[colour, y, :n] = lattice[y, (colour + y) % 2::2]
    bits = np.packbits(spins.reshape(2, L, nw, 64), axis=-1, bitorder="little")
    return bits.view("<u8").reshape(2, L, nw).astype(np.uint64)


def unpack(spins: np.ndarray, L: int) -> np.ndarray:
    """The inverse of :func:`pack`."""
    n, nw = _layout(L)
    raw = np.ascontiguousarray(spins.astype("<u8")).view(np.uint8).reshape(2, L, nw * 8)
    bits = np.unpackbits(raw, axis=-1, bitorder="little")[:, :, :n]
    lattice = np.zeros((L, L), dtype=np.uint8)
    for colour in (0, 1):
        for y in range(L):
            lattice[y, (colour + y) % 2::2] = bits[colour, y]
    return lattice


def bond_signs(couplings) -> np.ndarray:
    """The kernels' per-bond planes (uint64 [2, 4, L, words]): for colour c's sites, bit set
    where the bond to the up, down, own-row and side neighbour (see msc_kernels) is −1. The
    own-row neighbour of an even x is its right one, the side neighbour its left one."""
    negations = couplings.negations()
    even = (np.arange(couplings.size) % 2 == 0)[None, :]
    own = np.where(even, negations["right"], negations["left"])
    side = np.where(even, negations["left"], negations["right"])
    planes = [pack(plane) for plane in (negations["up"], negations["down"], own, side)]
    return np.ascontiguousarray(np.stack(planes, axis=1))


def _streams(seed: int, rows: int) -> np.ndarray:
    words = splitmix64(int(seed) % (1 << 64), 4 * rows)
    state = np.array(words, dtype=np.uint64).reshape(rows, 4)
    state[(state == 0).all(axis=1), 0] = 1      # xoshiro's state must not be all zero
    return state


def initial_lattice(L: int, init, seed: int) -> np.ndarray:
    if isinstance(init, str):
        if init == "cold":
            return np.ones((L, L), dtype=np.uint8)
        if init == "hot":
            return np.random.default_rng(seed).integers(0, 2, (L, L), dtype=np.uint8)
        raise ValueError(f"init must be 'hot', 'cold' or an L×L array, not {init!r}")
    lattice = np.asarray(init)
    if lattice.shape != (L, L):
        raise ValueError(f"the initial lattice must be {L}×{L}, not {lattice.shape}")
    return (lattice != 0).astype(np.uint8)


def run_msc(L: int, beta: float, *, sweeps: int, burn_in: int = 0, J: int = 1, init="hot",
            seed: int = 0, threads: int | None = None,
            progress: Callable[[int], object] | None = None, couplings=None) -> SamplerRun:
    """Run ``sweeps`` checkerboard Metropolis sweeps of the L×L torus at h = 0.

    Parameters
    ----------
    L : int
        The side; see :func:`msc_unsupported` for the sizes this sampler takes.
    beta : float
        Inverse temperature.
    sweeps, burn_in : int
        Sweeps in all, and how many of the first are not measured.
    J : int
        +1 (ferromagnet) or −1.
    init : "hot", "cold" or array
        The initial lattice (1 = up).
    seed : int
        Seeds the initial lattice and every row's random stream.
    threads : int or None
        numba threads (None: every core).
    progress : callable or None
        Called with the sweeps done, about a hundred times per run.
    couplings : sw.ising.couplings.Couplings or None
        Per-bond J_ij (B then sums J_ij s_i s_j); None: all +1.

    Returns
    -------
    SamplerRun
        M and B after each measured sweep, the final lattice, the flips and the time.
    """
    check_parameters(beta, J, 0.0, "metropolis")
    if (reason := msc_unsupported(L)) is not None:
        raise ValueError(f"the multi-spin-coded sampler does not take {reason}")
    if sweeps < 1 or not 0 <= burn_in < sweeps:
        raise ValueError(f"need sweeps >= 1 and 0 <= burn_in < sweeps, not {sweeps}, {burn_in}")
    from bitspin.sw.numba_support import set_threads
    kernels = _kernels()
    threads_used = set_threads(threads)
    run_sweeps = kernels.sweeps_serial if threads_used == 1 else kernels.sweeps
    n, _ = _layout(L)
    spins = pack(initial_lattice(L, init, seed))
    state = _streams(seed, L)
    flips = np.zeros(L, dtype=np.int64)
    rows = np.zeros((L, 2), dtype=np.int64)
    p4, p8 = (min(1 << 32, int(round(math.exp(-de * beta) * (1 << 32)))) for de in (4.0, 8.0))
    antiferro = J < 0
    if couplings is None:
        signs = NO_SIGNS
    else:
        if couplings.size != L:
            raise ValueError(f"the couplings are for L = {couplings.size}, the run has L = {L}")
        signs = bond_signs(couplings)
    observables = np.zeros((sweeps - burn_in, 2), dtype=np.int64)
    every = max(1, sweeps // 100)
    # Zero sweeps: loads (or compiles) the kernel, so that the time below is the sampling's.
    run_sweeps(spins, n, p4, p8, antiferro, signs, state, flips, observables, 0, 0, burn_in, rows)
    start = time.perf_counter()
    for first in range(0, sweeps, every):
        count = min(every, sweeps - first)
        run_sweeps(spins, n, p4, p8, antiferro, signs, state, flips, observables, first, count,
                   burn_in, rows)
        if progress is not None:
            progress(first + count)
    elapsed = time.perf_counter() - start
    return SamplerRun(magnetization=observables[:, 0].copy(), bond_sum=observables[:, 1].copy(),
                      final_lattice=unpack(spins, L), flips=int(flips.sum()),
                      updates=sweeps * L * L, elapsed_s=elapsed,
                      sampler="multi-spin coded (numba)", threads=threads_used)
