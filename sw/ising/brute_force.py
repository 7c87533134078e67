"""Exact results of small tori by enumerating all 2^{L²} states (any J, any field h): the check of
the other exact results and of the samplers with a field."""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .onsager import _check_beta, _check_J, _check_L

__all__ = ["BRUTE_FORCE_MAX_L", "brute_force"]

BRUTE_FORCE_MAX_L = 4

# --- exhaustive enumeration -------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _density_of_states(L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (B, M) pairs of the L×L torus and how many of the 2^{L²} states have each.

    B = Σ s(x,y)[s(x+1,y) + s(x,y+1)] is the bond sum and M = Σ s the magnetization.
    """
    n = L * L
    states = np.arange(1 << n, dtype=np.int64)
    bits = (states[:, None] >> np.arange(n)) & 1
    spins = (2 * bits - 1).astype(np.int8).reshape(-1, L, L)
    neighbours = np.roll(spins, -1, axis=1).astype(np.int16) + np.roll(spins, -1, axis=2)
    bonds = (spins * neighbours).sum(axis=(1, 2), dtype=np.int64)
    moment = spins.sum(axis=(1, 2), dtype=np.int64)
    pairs, counts = np.unique(np.stack([bonds, moment], axis=1), axis=0, return_counts=True)
    result = pairs[:, 0].astype(float), pairs[:, 1].astype(float), counts.astype(float)
    for array in result:
        array.flags.writeable = False  # shared by every caller through the cache
    return result


def brute_force(L: int, beta: float, J: int = 1, h: float = 0.0) -> dict[str, float]:
    """Exact averages on the L×L torus by enumerating all 2^{L²} states (1 ≤ L ≤ 4).

    Energy E = −J B − h M with B = Σ s(x,y)[s(x+1,y) + s(x,y+1)] (2L² bond terms, as the hardware
    computes it: for L = 2 each neighbour pair appears twice, for L = 1 a spin is its own
    neighbour) and M = Σ s. With m = M/L², returns a dict with

    * ``log_partition``: log Z,
    * ``energy_per_spin``: ⟨E⟩/L²,
    * ``specific_heat_per_spin``: β²(⟨E²⟩ − ⟨E⟩²)/L²,
    * ``abs_magnetization_per_spin``: ⟨|m|⟩,
    * ``magnetization_squared``: ⟨m²⟩,
    * ``binder_cumulant``: U = 1 − ⟨m⁴⟩ / (3⟨m²⟩²).

    The magnetization is the uniform one for both signs of J; the Binder cumulant is NaN where
    ⟨m²⟩ underflows to 0 (the antiferromagnet at very low temperature). ``beta`` must be finite
    and non-negative, ``h`` finite.
    """
    L = _check_L(L, low=1, high=BRUTE_FORCE_MAX_L)
    beta = _check_beta(beta, allow_zero=True)
    J = _check_J(J)
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not math.isfinite(h):
        raise ValueError(f"field h must be a finite real number, not {h!r}")
    h = float(h)
    bonds, moment, counts = _density_of_states(L)
    n = L * L
    energy = -J * bonds - h * moment
    log_weight = np.log(counts) - beta * energy
    top = log_weight.max()
    p = np.exp(log_weight - top)
    total = p.sum()
    p /= total
    mean_energy = float(np.dot(p, energy))
    m = moment / n
    m2 = float(np.dot(p, m ** 2))
    m4 = float(np.dot(p, m ** 4))
    return {
        "log_partition": float(top + math.log(total)),
        "energy_per_spin": mean_energy / n,
        "specific_heat_per_spin": beta ** 2 * float(np.dot(p, (energy - mean_energy) ** 2)) / n,
        "abs_magnetization_per_spin": float(np.dot(p, np.abs(m))),
        "magnetization_squared": m2,
        "binder_cumulant": 1.0 - m4 / (3.0 * m2 ** 2) if m2 > 0 else math.nan,
    }
