"""The infinite square lattice: Onsager's energy and specific heat, Yang's magnetization, and the
input checks that every exact result shares (see ``bitspin.sw.ising.exact`` for conventions).

Sources: L. Onsager, Phys. Rev. 65, 117 (1944); C. N. Yang, Phys. Rev. 85, 808 (1952).
"""


from __future__ import annotations

import math
import numbers


__all__ = ["T_CRITICAL", "BETA_CRITICAL", "onsager_energy_per_spin",
           "onsager_specific_heat_per_spin", "yang_magnetization"]

T_CRITICAL = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Onsager's critical temperature for |J| = 1: sinh(2/T_c) = 1, T_c ≈ 2.269185."""

BETA_CRITICAL = math.log(1.0 + math.sqrt(2.0)) / 2.0
"""1 / T_CRITICAL ≈ 0.440687."""

# Largest β the analytic formulas take: far beyond it sinh 2β overflows, and already at β = 100
# every result equals its ground-state limit to double precision.
_BETA_MAX = 100.0


# --- input validation -------------------------------------------------------------------------

def _check_beta(beta, *, allow_zero: bool) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise ValueError(f"beta must be a real number, not {beta!r}")
    beta = float(beta)
    if not math.isfinite(beta) or beta < 0 or (beta == 0 and not allow_zero):
        need = "finite and non-negative" if allow_zero else "finite and positive"
        raise ValueError(f"beta must be {need}, not {beta!r}")
    return beta


def _check_analytic(beta, J) -> float:
    """Validate (β, J) for the closed-form results and return β as a float."""
    beta = _check_beta(beta, allow_zero=False)
    if beta > _BETA_MAX:
        raise ValueError(f"beta must be at most {_BETA_MAX:g} for the exact formulas (the ground "
                         f"state dominates long before, and floats overflow), not {beta!r}")
    _check_J(J)
    return beta


def _check_J(J) -> int:
    if isinstance(J, bool) or J not in (1, -1):
        raise ValueError(f"coupling J must be +1 or -1, not {J!r}")
    return int(J)


def _check_L(L, *, low: int, high: int | None = None, even: bool = False) -> int:
    if isinstance(L, bool) or not isinstance(L, numbers.Integral):
        raise ValueError(f"lattice size L must be an integer, not {L!r}")
    L = int(L)
    if L < low or (high is not None and L > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"lattice size L must be {bound}, not {L}")
    if even and L % 2:
        raise ValueError(f"lattice size L must be even for the exact torus results, not {L}")
    return L


# --- infinite lattice (Onsager, Yang) ---------------------------------------------------------

def _elliptic_parts(s: float) -> tuple[float, float, float]:
    """For modulus k = 2s/(1+s²), with s = sinh 2K, return (K(k), (2/π)K(k) − 1, K(k) − E(k)).

    The arithmetic-geometric mean gives K = π / (2 M) with M = AGM(1, k'). Near k = 0 the
    differences (2/π)K − 1 and K − E cancel badly if formed directly, so the iteration tracks
    δ = 1 − a and ε = 1 − b instead of a and b; both stay non-negative and are never subtracted
    from 1. k' = |1 − s²| / (1 + s²) and 1 − k' are likewise formed without cancellation.
    """
    k = 2.0 * s / (1.0 + s * s)
    delta, eps = 0.0, 2.0 * min(1.0, s * s) / (1.0 + s * s)  # 1 − a₀, 1 − b₀ with a₀ = 1, b₀ = k'
    if eps == 1.0:  # k' = 0: exactly at the critical point, K(k) diverges
        return math.inf, math.inf, math.inf
    # K − E = K Σ_{n≥0} 2^{n−1} c_n², with c₀ = k and c_{n+1} = (a_n − b_n)/2 = (ε_n − δ_n)/2.
    series, weight = 0.5 * k * k, 0.5
    for _ in range(64):
        c = 0.5 * (eps - delta)
        weight *= 2.0
        series += weight * c * c
        a = 1.0 - delta
        b = 1.0 - eps
        delta, eps = 0.5 * (delta + eps), (delta + eps - delta * eps) / (1.0 + math.sqrt(a * b))
        if abs(c) <= 1e-17 * (1.0 - delta):
            break
    mean = 1.0 - delta
    k_integral = math.pi / (2.0 * mean)
    return k_integral, delta / mean, k_integral * series


def onsager_energy_per_spin(beta: float, J: int = 1) -> float:
    """Energy per spin of the infinite square lattice at h = 0 (Onsager 1944).

    e = −J coth(2βJ) [1 + (2/π)(2 tanh²(2βJ) − 1) K(k)], k = 2 sinh(2βJ) / cosh²(2βJ), with K the
    complete elliptic integral of the first kind. The value is the same for J = +1 and J = −1
    (gauge symmetry) and equals −√2 at β_c. ``beta`` must be positive and at most 100.
    """
    beta = _check_analytic(beta, J)
    K = beta  # |βJ|: the result does not depend on the sign of J
    s = math.sinh(2.0 * K)
    k_integral, excess, _ = _elliptic_parts(s)
    # 1 + (2t² − 1)(2/π)K(k) with t = tanh 2K, rewritten as 2t²(2/π)K − ((2/π)K − 1) so that
    # nothing cancels at high temperature; 2t² − 1 = (s² − 1)/(1 + s²).
    if math.isinf(k_integral):
        bracket = 1.0  # the factor (2t² − 1) vanishes faster than K(k) diverges
    else:
        t2 = s * s / (1.0 + s * s)
        bracket = 2.0 * t2 * (1.0 + excess) - excess
    return -bracket * math.cosh(2.0 * K) / s


def onsager_specific_heat_per_spin(beta: float, J: int = 1) -> float:
    """Specific heat per spin of the infinite square lattice at h = 0 (Onsager 1944).

    c = (4/π)(βJ coth 2βJ)² {K(k) − E(k) − (1 − tanh² 2βJ)[π/2 + (2 tanh² 2βJ − 1) K(k)]},
    with K and E the complete elliptic integrals of the first and second kind and k as in
    :func:`onsager_energy_per_spin`. It diverges logarithmically at β_c, where ``math.inf`` is
    returned. Same value for J = ±1. ``beta`` must be positive and at most 100.

    Relative error about 1e-15 away from β_c, growing like e^{4β}·1e-16 at low temperature
    (1e-8 at β = 5, where c ≈ 7e-15), checked against −β² de/dβ in 50-digit arithmetic.
    """
    beta = _check_analytic(beta, J)
    K = beta
    s = math.sinh(2.0 * K)
    k_integral, excess, k_minus_e = _elliptic_parts(s)
    if math.isinf(k_integral):
        return math.inf
    t2 = s * s / (1.0 + s * s)
    # π/2 + (2t² − 1)K = 2t²K − (π/2)((2/π)K − 1): again no cancellation at small K.
    inner = 2.0 * t2 * k_integral - 0.5 * math.pi * excess
    braces = k_minus_e - inner / (1.0 + s * s)  # 1 − tanh² 2K = 1/cosh² 2K, not 1 − t2
    return (4.0 / math.pi) * (K * math.cosh(2.0 * K) / s) ** 2 * braces


def yang_magnetization(beta: float, J: int = 1) -> float:
    """Spontaneous magnetization per spin of the infinite lattice at h = 0 (Yang 1952).

    m = (1 − sinh(2β|J|)^−4)^{1/8} for β > β_c and 0 for β ≤ β_c: the limit h → 0⁺ of the
    magnetization taken after the thermodynamic limit. ⟨|m|⟩ on the L×L torus at h = 0 tends to
    it as L → ∞ (slowly near β_c).

    For J = −1 the returned value is the spontaneous *staggered* magnetization
    m_s = (1/N) Σ (−1)^{x+y} s(x,y), the order parameter of the antiferromagnet, obtained from the
    ferromagnet by the gauge map. The uniform magnetization of the antiferromagnet at h = 0 is 0
    at every temperature in the thermodynamic limit, and is not what this function returns.
    ``beta`` must be finite and non-negative.
    """
    beta = _check_beta(beta, allow_zero=True)
    _check_J(J)
    if beta <= BETA_CRITICAL:
        return 0.0
    return max(0.0, 1.0 - math.sinh(2.0 * beta) ** -4) ** 0.125
