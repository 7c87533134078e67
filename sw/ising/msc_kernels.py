"""Numba kernels of the multi-spin-coded Metropolis sampler (see ``bitspin.sw.ising.msc``).

Layout: colour c's sites of row y are x = 2k + ((c + y) mod 2), k = 0 … n − 1 with n = L/2, and
bit j of word w of ``spins[c, y]`` holds site k = 64w + j (1 = up). Each word is one row's 64
sites of one colour, so one pass of word operations updates 64 spins. A colour-c site at index
k has its vertical neighbours at index k of the other colour's rows y ± 1, one horizontal
neighbour at index k of the other colour's row y, and the other at k − 1 when (c + y) is even,
k + 1 when it is odd (periodic in k).

Randomness: one xoshiro256++ stream per row, so results do not depend on the thread count.
A Bernoulli bit-plane compares a uniform 32-bit number per bit with that bit's p·2^32 (p4 or
p8), most significant bit first, one random word per bit position, and stops as soon as every
bit of interest is decided (about log2(bits) + 2 draws).
"""

from __future__ import annotations

from numba import njit, prange, uint64

from bitspin.sw.numba_support import popcount

__all__ = ["half_sweep", "sweeps", "sweeps_serial", "measure"]

_ONES = uint64(0xFFFFFFFFFFFFFFFF)


@njit(inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(inline="always")
def _side(row, w, nw, n, mask, towards_lower):
    """The row's words shifted by one site index (periodic): bit k takes site k − 1
    (``towards_lower``) or k + 1."""
    word = row[w]
    if nw == 1:
        if towards_lower:
            return ((word << uint64(1)) | (word >> uint64(n - 1))) & mask
        return ((word >> uint64(1)) | (word << uint64(n - 1))) & mask
    if towards_lower:
        return (word << uint64(1)) | (row[(w - 1) % nw] >> uint64(63))
    return (word >> uint64(1)) | (row[(w + 1) % nw] << uint64(63))


@njit(inline="always")
def _bond_signs(signs, flip_sign, colour, y, w):
    """The words that invert the up, down, own-row and side neighbours of colour ``colour``'s
    word w of row y: ``signs[colour, :, y, w]`` with per-bond couplings (shape [2, 4, L, nw]),
    else ``flip_sign`` for all four (an empty ``signs``)."""
    if signs.shape[2] == 0:
        return flip_sign, flip_sign, flip_sign, flip_sign
    return signs[colour, 0, y, w], signs[colour, 1, y, w], signs[colour, 2, y, w], \
        signs[colour, 3, y, w]


@njit(inline="always")
def _half_sweep_row(spins, colour, y, n, p4, p8, flip_sign, signs, state):
    """One row of a half sweep; returns its accepted flips. The row's xoshiro256++ state is
    kept in locals (written back at the end), so the draws stay in registers."""
    L, nw = spins.shape[1], spins.shape[2]
    other = 1 - colour
    mask = _ONES if n >= 64 else (uint64(1) << uint64(n)) - uint64(1)
    lower = (colour + y) % 2 == 0
    up_row, down_row = spins[other, (y - 1) % L], spins[other, (y + 1) % L]
    own_row = spins[other, y]
    s0, s1, s2, s3 = state[y, 0], state[y, 1], state[y, 2], state[y, 3]
    count = 0
    for w in range(nw):
        s = spins[colour, y, w]
        f1, f2, f3, f4 = _bond_signs(signs, flip_sign, colour, y, w)
        # a_i: the neighbour agrees with s across a +1 bond, or disagrees across a −1 bond
        a1 = ~(s ^ up_row[w]) ^ f1
        a2 = ~(s ^ down_row[w]) ^ f2
        a3 = ~(s ^ own_row[w]) ^ f3
        a4 = ~(s ^ _side(own_row, w, nw, n, mask, lower)) ^ f4
        all4 = a1 & a2 & a3 & a4
        ge3 = (a1 & a2 & (a3 | a4)) | (a3 & a4 & (a1 | a2))
        # One Bernoulli plane over the sites with ΔE > 0, each bit compared with its own
        # probability: p8 where all four neighbours agree (ΔE = 8|J|), p4 where three do.
        certain = ((_ONES if p8 >= 4294967296 else uint64(0)) & all4) | \
            ((_ONES if p4 >= 4294967296 else uint64(0)) & ~all4)
        accept = ge3 & mask & certain
        undecided = ge3 & mask & ~certain
        bit = 31
        while undecided != uint64(0) and bit >= 0:
            r = _rotl(s0 + s3, 23) + s0                          # xoshiro256++
            t = s1 << uint64(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = _rotl(s3, 45)
            p_bit = ((_ONES if (p8 >> bit) & 1 else uint64(0)) & all4) | \
                ((_ONES if (p4 >> bit) & 1 else uint64(0)) & ~all4)
            accept |= undecided & ~r & p_bit     # r's bit 0 where p's is 1: r < p
            undecided &= ~(r ^ p_bit)            # still equal so far
            bit -= 1
        flip = (~ge3 | accept) & mask
        spins[colour, y, w] = s ^ flip
        count += popcount(flip)
    state[y, 0], state[y, 1], state[y, 2], state[y, 3] = s0, s1, s2, s3
    return count


@njit(parallel=True, cache=True)
def half_sweep(spins, colour, n, p4, p8, antiferro, signs, state, flips):
    """Metropolis on every site of ``colour`` (h = 0): a site flips always when at most two of its
    neighbours agree with it (ΔE ≤ 0; for J = −1, disagree), with probability p4 = e^{−4β}
    when three do, and p8 = e^{−8β} when four do. ``p4`` and ``p8`` are the probabilities
    times 2^32, integers. ``signs``: per-bond couplings (see ``_bond_signs``), or empty.
    ``flips[y]`` (int64) counts the accepted flips of row y."""
    flip_sign = _ONES if antiferro else uint64(0)
    for y in prange(spins.shape[1]):
        flips[y] += _half_sweep_row(spins, colour, y, n, p4, p8, flip_sign, signs, state)


def _sweeps(spins, n, p4, p8, antiferro, signs, state, flips, observables, first, count, burn_in,
            rows):
    """Sweeps ``first`` … ``first + count − 1`` (colour 0, then colour 1); after each one past
    ``burn_in``, (M, B) into ``observables[sweep − burn_in]`` (``rows``: per-row scratch)."""
    flip_sign = _ONES if antiferro else uint64(0)
    L = spins.shape[1]
    for sweep in range(first, first + count):
        for colour in range(2):
            for y in prange(L):
                flips[y] += _half_sweep_row(spins, colour, y, n, p4, p8, flip_sign, signs,
                                            state)
        if sweep >= burn_in:
            for y in prange(L):
                rows[y, 0], rows[y, 1] = _measure_row(spins, n, signs, y)
            m, b = 0, 0
            for y in range(L):
                m += rows[y, 0]
                b += rows[y, 1]
            observables[sweep - burn_in, 0] = m
            observables[sweep - burn_in, 1] = b


# One source, two builds: a parallel region costs tens of microseconds to open, which at L = 256
# and one thread was most of a sweep, so one thread runs the serial build.
sweeps = njit(parallel=True, cache=True)(_sweeps)
sweeps_serial = njit(cache=True)(_sweeps)


@njit(parallel=True, cache=True)
def measure(spins, n, signs, out):
    """M = Σ s and B = Σ over the 2L² bonds of J_ij s_i s_j per row, ``out[y] = (M_y, B_y)``
    (``signs``: per-bond couplings, or empty for all +1)."""
    for y in prange(spins.shape[1]):
        out[y, 0], out[y, 1] = _measure_row(spins, n, signs, y)


@njit(inline="always")
def _measure_row(spins, n, signs, y):
    """(M, B) of row y: M of both colours' sites, B of the four bonds of each colour-0 site
    (each bond has exactly one colour-0 end; B counts J_ij, not J's global sign)."""
    L, nw = spins.shape[1], spins.shape[2]
    mask = _ONES if n >= 64 else (uint64(1) << uint64(n)) - uint64(1)
    bits = n if n < 64 else 64
    lower = y % 2 == 0
    up_row, down_row, own_row = spins[1, (y - 1) % L], spins[1, (y + 1) % L], spins[1, y]
    ones = 0
    agree = 0
    for w in range(nw):
        s = spins[0, y, w]
        f1, f2, f3, f4 = _bond_signs(signs, uint64(0), 0, y, w)
        ones += popcount(s) + popcount(spins[1, y, w])
        agree += popcount((~(s ^ up_row[w]) ^ f1) & mask)
        agree += popcount((~(s ^ down_row[w]) ^ f2) & mask)
        agree += popcount((~(s ^ own_row[w]) ^ f3) & mask)
        agree += popcount((~(s ^ _side(own_row, w, nw, n, mask, lower)) ^ f4) & mask)
    return 2 * ones - 2 * bits * nw, 2 * agree - 4 * bits * nw
