"""The multi-spin-coded Metropolis sampler in PyTorch bit operations: the GPU baseline.

The same algorithm and lattice layout as the numba sampler (``bitspin.sw.ising.msc``: 64 spins
of one colour and row per word, checkerboard Metropolis at h = 0, J = ±1, one Bernoulli plane
whose bits compare with p4 = e^{−4β} or p8 = e^{−8β} by their energy cost), written as whole-
lattice tensor operations so that it runs on CUDA, and on the CPU for the tests. The words are
int64 tensors (torch has no uint64 arithmetic): shifts right are made logical with a mask, and
ones are counted with the SWAR pop-count.

Randomness: torch's generator on the device (Philox on CUDA), seeded by the run's seed; each
draw is a uniform 64-bit word per lattice word, made of two uniform 32-bit halves. The stream
differs from the numba sampler's, so the two agree in distribution, not bit for bit.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .msc import initial_lattice, msc_unsupported, pack, unpack
from .result import SamplerRun
from .thresholds import check_parameters

__all__ = ["run_msc_torch", "popcount", "half_sweep", "observables", "torch_signs"]

_M1, _M2, _M4, _H01 = (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
                       0x0101010101010101)


def _lsr(x, k: int):
    """Logical shift right of int64 words by 1 ≤ k ≤ 63."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def popcount(x):
    """Ones in each int64 word (SWAR; the multiply wraps as on the hardware)."""
    x = x - (_lsr(x, 1) & _M1)
    x = (x & _M2) + (_lsr(x, 2) & _M2)
    x = (x + _lsr(x, 4)) & _M4
    return _lsr(x * _H01, 56)


def _signed(word: int) -> int:
    """A 64-bit pattern as the int64 value with the same bits."""
    return word - (1 << 64) if word >= 1 << 63 else word


def _mask(n: int) -> int:
    """The int64 word whose low ``n`` bits (the sites of a row's word) are set."""
    return _signed((1 << n) - 1) if n < 64 else -1


def _side_neighbours(other, n: int, lower_rows):
    """Each site's horizontal neighbour in the next word position: k − 1 on the rows where
    ``lower_rows`` (a [L, 1] bool tensor) holds, k + 1 on the others."""
    import torch
    return torch.where(lower_rows, _side(other, n, True), _side(other, n, False))


def _side(rows, n: int, towards_lower: bool):
    """Each row's words shifted by one site index, periodic in the n sites: bit k takes site
    k − 1 (``towards_lower``) or k + 1."""
    import torch
    if rows.shape[-1] == 1:
        mask = _mask(n)
        if towards_lower:
            return ((rows << 1) | _lsr(rows, n - 1)) & mask
        return (_lsr(rows, 1) | (rows << (n - 1))) & mask
    if towards_lower:
        return (rows << 1) | _lsr(torch.roll(rows, 1, -1), 63)
    return _lsr(rows, 1) | (torch.roll(rows, -1, -1) << 63)


def _draw(shape, generator, device):
    """Uniform 64-bit words (int64), each from two uniform 32-bit halves."""
    import torch
    halves = torch.randint(-(1 << 31), 1 << 31, (2, *shape), dtype=torch.int64,
                           generator=generator, device=device)
    return (halves[0] << 32) | (halves[1] & 0xFFFFFFFF)


def _bond_signs(signs, colour: int, flip_sign: int):
    """The inversion words of the up, down, own-row and side neighbours of ``colour``'s sites:
    the per-bond planes ``signs[colour]`` (int64 [2, 4, L, words], ``msc.bond_signs``) or, with
    ``signs`` None, ``flip_sign`` for all four."""
    if signs is None:
        return flip_sign, flip_sign, flip_sign, flip_sign
    return signs[colour, 0], signs[colour, 1], signs[colour, 2], signs[colour, 3]


def half_sweep(spins, colour: int, n: int, p4: int, p8: int, antiferro: bool, generator,
               signs=None):
    """Metropolis on every site of ``colour`` of ``spins`` (int64 [2, L, words], in place);
    ``p4``/``p8`` are the probabilities times 2^32; ``signs``: per-bond couplings, or None.
    Returns the accepted flips (a 0-d tensor)."""
    import torch
    L = spins.shape[1]
    mask = _mask(n)
    f1, f2, f3, f4 = _bond_signs(signs, colour, -1 if antiferro else 0)
    s, other = spins[colour], spins[1 - colour]
    rows = torch.arange(L, device=spins.device)
    side = _side_neighbours(other, n, ((rows + colour) % 2 == 0)[:, None])
    a1, a2 = ~(s ^ torch.roll(other, 1, 0)) ^ f1, ~(s ^ torch.roll(other, -1, 0)) ^ f2
    a3, a4 = ~(s ^ other) ^ f3, ~(s ^ side) ^ f4
    all4 = a1 & a2 & a3 & a4
    ge3 = (a1 & a2 & (a3 | a4)) | (a3 & a4 & (a1 | a2))
    certain = (all4 & (-1 if p8 >= 1 << 32 else 0)) | (~all4 & (-1 if p4 >= 1 << 32 else 0))
    accept = ge3 & mask & certain
    undecided = ge3 & mask & ~certain
    for bit in range(31, -1, -1):
        if bit % 4 == 3 and not bool(undecided.any()):   # one device sync per four draws
            break
        r = _draw(s.shape, generator, spins.device)
        p_bit = (all4 & -((p8 >> bit) & 1)) | (~all4 & -((p4 >> bit) & 1))
        accept |= undecided & ~r & p_bit                 # r's bit 0 where p's is 1: r < p
        undecided &= ~(r ^ p_bit)
    flip = (~ge3 | accept) & mask
    spins[colour] = s ^ flip
    return popcount(flip).sum()


def observables(spins, n: int, signs=None):
    """(M, B) as a 0-d int64 tensor pair: M of both colours, B of the four bonds of each
    colour-0 site (each bond has exactly one colour-0 end), J_ij-weighted with ``signs``."""
    import torch
    L, words = spins.shape[1], spins.shape[2]
    bits = min(n, 64) * words
    mask = _mask(n)
    s, other = spins[0], spins[1]
    side = _side_neighbours(other, n, (torch.arange(L, device=spins.device) % 2 == 0)[:, None])
    ones = popcount(spins).sum()
    agree = sum(popcount((~(s ^ t) ^ f) & mask).sum()
                for t, f in zip((torch.roll(other, 1, 0), torch.roll(other, -1, 0), other, side),
                                _bond_signs(signs, 0, 0)))
    return 2 * ones - 2 * L * bits, 2 * agree - 4 * L * bits


def torch_signs(couplings, L: int, device):
    """The per-bond planes of ``couplings`` as an int64 tensor on ``device`` (None: none)."""
    import torch
    if couplings is None:
        return None
    if couplings.size != L:
        raise ValueError(f"the couplings are for L = {couplings.size}, the run has L = {L}")
    from .msc import bond_signs
    return torch.from_numpy(bond_signs(couplings).view(np.int64)).to(device)


def run_msc_torch(L: int, beta: float, *, sweeps: int, burn_in: int = 0, J: int = 1,
                  init="hot", seed: int = 0, device: str = "cuda",
                  progress: Callable[[int], object] | None = None,
                  couplings=None) -> SamplerRun:
    """``sweeps`` checkerboard Metropolis sweeps of the L×L torus at h = 0 on ``device``; the
    parameters and the result as :func:`bitspin.sw.ising.msc.run_msc`."""
    import torch

    from .fast import resolve_device
    check_parameters(beta, J, 0.0, "metropolis")
    device = resolve_device(device)
    if (reason := msc_unsupported(L)) is not None:
        raise ValueError(f"the multi-spin-coded sampler does not take {reason}")
    if sweeps < 1 or not 0 <= burn_in < sweeps:
        raise ValueError(f"need sweeps >= 1 and 0 <= burn_in < sweeps, not {sweeps}, {burn_in}")
    n = L // 2
    spins = torch.from_numpy(pack(initial_lattice(L, init, seed)).view(np.int64)).to(device)
    signs = torch_signs(couplings, L, device)
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed) % (1 << 63))
    p4, p8 = (min(1 << 32, int(round(math.exp(-de * beta) * (1 << 32)))) for de in (4.0, 8.0))
    measured = torch.zeros((sweeps - burn_in, 2), dtype=torch.int64, device=device)
    flips = torch.zeros((), dtype=torch.int64, device=device)
    every = max(1, sweeps // 100)

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    synchronize()
    start = time.perf_counter()
    for sweep in range(sweeps):
        for colour in (0, 1):
            flips += half_sweep(spins, colour, n, p4, p8, J < 0, generator, signs)
        if sweep >= burn_in:
            m, b = observables(spins, n, signs)
            measured[sweep - burn_in, 0], measured[sweep - burn_in, 1] = m, b
        if progress is not None and ((sweep + 1) % every == 0 or sweep + 1 == sweeps):
            progress(sweep + 1)
    synchronize()
    elapsed = time.perf_counter() - start
    out = measured.cpu().numpy()
    return SamplerRun(magnetization=out[:, 0].copy(), bond_sum=out[:, 1].copy(),
                      final_lattice=unpack(spins.cpu().numpy().view(np.uint64), L),
                      flips=int(flips), updates=sweeps * L * L, elapsed_s=elapsed,
                      sampler=f"multi-spin coded (torch, {device.type})")
