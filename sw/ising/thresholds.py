"""Flip probabilities and the k-bit threshold table that drives every Ising sampler.

A site with spin s ∈ {−1, +1} and neighbour sum n = Σ s_j ∈ {−4, −2, 0, 2, 4} flips with
probability p(s, n). Flipping changes the energy H = −J Σ⟨ij⟩ s_i s_j − h Σ s_i by
ΔE = 2 s (J n + h). Metropolis flips with min(1, e^{−βΔE}); heat-bath (Glauber) draws the new spin
from its conditional distribution, so it flips with 1 / (1 + e^{βΔE}).

The hardware compares a uniform k-bit random integer r ∈ [0, 2^k) with a (k+1)-bit threshold
T = round(p · 2^k) ∈ [0, 2^k] and flips when r < T. The realised probability T / 2^k differs from
p by at most 2^−(k+1) (rounding), so the acceptance bias is bounded by 2^−k.

Table layout (shared by gateware and host): index = 5·up + ups, where up = 1 for s = +1 and
ups ∈ 0..4 is the number of up neighbours (n = 2·ups − 4).
"""

from __future__ import annotations

import math

import numpy as np

from bitspin.hw.ising.params import ALGORITHMS, TABLE_SIZE, table_index

__all__ = ["ALGORITHMS", "TABLE_SIZE", "flip_probabilities", "threshold_table", "table_index",
           "check_parameters"]


#: The coldest run: beyond it every acceptance e^{−βΔE} is far below the 2^−32 resolution of any
#: sampler's random numbers, and the statistics' β² would overflow long before β = 1e300.
MAX_BETA = 1e6


def check_parameters(beta: float, J: int, h: float, algorithm: str) -> None:
    """Raise ``ValueError`` with a clear message for parameters no sampler accepts."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    if J not in (1, -1):
        raise ValueError(f"coupling J must be +1 or -1, not {J!r}")
    if not (math.isfinite(beta) and 0 <= beta <= MAX_BETA):
        raise ValueError(f"beta must be from 0 to {MAX_BETA:g} (temperature at least "
                         f"{1 / MAX_BETA:g}), not {beta!r}")
    if not math.isfinite(h):
        raise ValueError(f"field h must be finite, not {h!r}")


def flip_probabilities(beta: float, J: int = 1, h: float = 0.0,
                       algorithm: str = "metropolis") -> np.ndarray:
    """Float64 array of shape (TABLE_SIZE,): p(flip) for each table index."""
    check_parameters(beta, J, h, algorithm)
    p = np.empty(TABLE_SIZE)
    for up in (0, 1):
        s = 1 if up else -1
        for ups in range(5):
            n = 2 * ups - 4
            delta = 2.0 * s * (J * n + h)
            x = beta * delta
            if algorithm == "metropolis":
                p[table_index(up, ups)] = 1.0 if x <= 0 else math.exp(-x)
            else:
                # 1/(1+e^x), written to avoid overflow for large |x|
                p[table_index(up, ups)] = (math.exp(-x) / (1 + math.exp(-x)) if x > 0
                                           else 1 / (1 + math.exp(x)))
    return p


def threshold_table(beta: float, J: int = 1, h: float = 0.0, algorithm: str = "metropolis",
                    k: int = 16) -> np.ndarray:
    """Int64 array of shape (TABLE_SIZE,): T = round(p · 2^k) ∈ [0, 2^k], flip when r < T."""
    if not isinstance(k, int) or not 8 <= k <= 32:
        raise ValueError(f"threshold precision k must be an integer from 8 to 32, not {k!r}")
    p = flip_probabilities(beta, J, h, algorithm)
    return np.rint(p * (1 << k)).astype(np.int64)
