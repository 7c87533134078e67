"""Exact results for the 2D Ising model on the square lattice, used to check the samplers.

The model is H = −J Σ⟨ij⟩ s_i s_j − h Σ_i s_i with s_i ∈ {−1, +1} and J = ±1; temperature
T = 1/β with k_B = 1. Finite lattices are L×L tori (periodic boundaries) with the 2L² bond terms
B = Σ_{x,y} s(x,y) [s(x+1,y) + s(x,y+1)], which is what the hardware sums. Per-spin quantities
divide by N = L²: e = ⟨E⟩/N and c = β² (⟨E²⟩ − ⟨E⟩²)/N.

Sources:

* L. Onsager, Phys. Rev. 65, 117 (1944): free energy of the infinite lattice at h = 0; the
  energy and specific heat are used in their usual form with complete elliptic integrals.
* C. N. Yang, Phys. Rev. 85, 808 (1952): spontaneous magnetization.
* B. Kaufman, Phys. Rev. 76, 1232 (1949): partition function of the finite torus as a sum of
  four products.
* A. E. Ferdinand and M. E. Fisher, Phys. Rev. 185, 832 (1969): Kaufman's result in the form
  used here (the γ_l and the sign of γ_0), and the finite-size energy and specific heat.

Antiferromagnet: on a bipartite lattice (every even torus, the infinite lattice) the gauge map
s(x,y) → (−1)^{x+y} s(x,y) turns J = −1 into J = +1 at h = 0 and leaves the energy of each
configuration unchanged, so Z, e and c are the same for both signs of J.
"""

from __future__ import annotations

from .brute_force import BRUTE_FORCE_MAX_L, brute_force
from .kaufman import finite_energy_per_spin, finite_specific_heat_per_spin, kaufman_log_partition
from .onsager import (BETA_CRITICAL, T_CRITICAL, onsager_energy_per_spin,
                      onsager_specific_heat_per_spin, yang_magnetization)

__all__ = [
    "T_CRITICAL", "BETA_CRITICAL", "BRUTE_FORCE_MAX_L",
    "onsager_energy_per_spin", "onsager_specific_heat_per_spin", "yang_magnetization",
    "kaufman_log_partition", "finite_energy_per_spin", "finite_specific_heat_per_spin",
    "brute_force",
]
