"""Exact averages of a ±J instance on a small torus (L ≤ 4) by enumerating all 2^{L²} states: the
check of every sampler with couplings, and of parallel tempering.

E = −J·B − h·M with B = Σ J_ij s_i s_j over the 2L² right and down bonds (``sw.ising.couplings``).
The overlap of two independent replicas a, b at the same temperature is q = (1/N) Σ s_i^a s_i^b;
its moments follow from the one-replica correlations: ⟨q²⟩ = Σ_ij ⟨s_i s_j⟩² / N² and
⟨q⁴⟩ = Σ_ijkl ⟨s_i s_j s_k s_l⟩² / N⁴.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .couplings import Couplings

__all__ = ["ENUMERATION_MAX_L", "exact_couplings"]

ENUMERATION_MAX_L = 4


@functools.lru_cache(maxsize=4)
def _spins(L: int) -> np.ndarray:
    """int8 [2^{L²}, L, L]: every state, state n's site i = bit i of n."""
    n = L * L
    states = np.arange(1 << n, dtype=np.int64)
    spins = (2 * ((states[:, None] >> np.arange(n)) & 1) - 1).astype(np.int8)
    spins.flags.writeable = False
    return spins.reshape(-1, L, L)


def exact_couplings(couplings: Couplings, beta: float, J: int = 1, h: float = 0.0, *,
                    overlap: bool = False) -> dict[str, float]:
    """Exact per-spin ``energy_per_spin``, ``specific_heat_per_spin``,
    ``abs_magnetization_per_spin`` and ``log_partition`` of the instance at ``beta``; with
    ``overlap``, also the two-replica ``q2``, ``q4`` and ``overlap_binder`` = ½(3 − ⟨q⁴⟩/⟨q²⟩²)."""
    L = couplings.size
    if L > ENUMERATION_MAX_L:
        raise ValueError(f"exact enumeration needs L <= {ENUMERATION_MAX_L}, not {L}")
    if not (math.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be finite and non-negative, not {beta!r}")
    spins = _spins(L)
    s = spins.astype(np.int64)
    bonds = (s * (couplings.j_right * np.roll(s, -1, axis=2)
                  + couplings.j_down * np.roll(s, -1, axis=1))).sum(axis=(1, 2))
    moment = s.sum(axis=(1, 2))
    energy = -J * bonds - h * moment
    log_weight = -beta * energy.astype(np.float64)
    top = log_weight.max()
    p = np.exp(log_weight - top)
    total = p.sum()
    p /= total
    n = L * L
    mean_energy = float(p @ energy)
    result = {
        "log_partition": float(top + math.log(total)),
        "energy_per_spin": mean_energy / n,
        "specific_heat_per_spin": beta ** 2 * float(p @ (energy - mean_energy) ** 2) / n,
        "abs_magnetization_per_spin": float(p @ np.abs(moment)) / n,
    }
    if overlap:
        flat = spins.reshape(len(p), n).astype(np.float64)
        pairs = (flat[:, :, None] * flat[:, None, :]).reshape(len(p), n * n)
        two_point = p @ pairs                                  # ⟨s_i s_j⟩
        four_point = pairs.T @ (pairs * p[:, None])            # ⟨s_i s_j s_k s_l⟩
        q2 = float((two_point ** 2).sum()) / n ** 2
        q4 = float((four_point ** 2).sum()) / n ** 4
        result.update(q2=q2, q4=q4, overlap_binder=0.5 * (3 - q4 / q2 ** 2))
    return result
