"""What every Ising backend returns from a run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SamplerRun", "lattice_observables"]


@dataclass
class SamplerRun:
    """One run of a sampler.

    ``magnetization`` and ``bond_sum`` hold one int64 per sweep after burn-in: M = Σ s_i and
    B = Σ_sites s(x,y)·(s(x+1,y) + s(x,y+1)) (the 2L² bonds). ``final_lattice`` is uint8 [L, L],
    1 = up, indexed [y, x]. ``flips`` counts accepted flips over all sweeps, burn-in included, and
    ``updates`` the spin updates (sweeps · L²).
    """
    magnetization: np.ndarray
    bond_sum: np.ndarray
    final_lattice: np.ndarray
    flips: int
    updates: int
    elapsed_s: float
    #: Which sampler made the run (the cpu backend has two) and on how many threads, if known.
    sampler: str = ""
    threads: int | None = None


def lattice_observables(lattice: np.ndarray, couplings=None) -> tuple[int, int]:
    """(M, B) of a uint8 lattice with 1 = up; with ``couplings`` (``sw.ising.couplings``)
    B = Σ J_ij s_i s_j over the right and down bonds."""
    s = lattice.astype(np.int64) * 2 - 1
    right, down = np.roll(s, -1, axis=1), np.roll(s, -1, axis=0)
    if couplings is not None:
        right, down = couplings.j_right * right, couplings.j_down * down
    return int(s.sum()), int((s * (right + down)).sum())
