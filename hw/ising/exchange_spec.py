"""Replica-exchange decisions in fixed point, the rule a chip can apply (specification).

The host's rule (``sw.ising.tempering``) evaluates exp(Δ) in floating point. A chip cannot, so
this rule works in integers only, and the gateware (``hw.ising.exchange_unit``) and the golden
model (``sw.ising.exchange_fixed``) both follow it to the bit.

Pair (i, i+1) of the ascending temperature ladder (β_i > β_{i+1}) holds slots ``low`` and
``high`` with last-sweep observables (M, B). With E = −J·B − h·M the host's exponent is
Δ = (β_i − β_{i+1})(E_low − E_high). In units of 2^−F of a binary logarithm,

    y = A_i·(B_low − B_high) + C_i·(M_low − M_high)
    A_i = round(−(β_i − β_{i+1})·J·log2(e)·2^F)
    C_i = round(−(β_i − β_{i+1})·h·log2(e)·2^F)

(A_i and C_i are per-pair constants that the host computes once and writes). The exchange is
accepted when y ≥ 0; otherwise, with z = −y, n = z >> F and f the TB bits of z below the
binary point, when u < EXP2_TABLE[f] >> n (none when n ≥ 32), u being the next 32-bit uniform.
EXP2_TABLE[f] is 2^32·2^−(f + ½)/2^TB rounded: the midpoint of the bin that z's dropped bits
fall in, so the acceptance min(1, e^Δ) is met within a relative 2^(1/2^(TB+1)) − 1 (0.034% at
TB = 10), plus the coefficients' rounding (below 16/|A_i| binary-log units where e^Δ > 2^−32).

The uniforms come from one xoroshiro64+ stream per copy (the full 32-bit sum of the lanes'
generator), started at SplitMix64((S ⊕ EXCHANGE_STREAM_KEY) + c)'s first output (1 if that is
0). Every proposal takes one u, in round order and pair order, whether or not it needs it.
"""

from __future__ import annotations

import math

__all__ = ["EXCHANGE_STREAM_KEY", "COEFF_FRACTION_BITS", "COEFF_BITS", "EXP2_TABLE_BITS",
           "UNIFORM_BITS", "EXP2_TABLE", "exchange_coefficients", "fixed_exponent",
           "accepts", "pair_starts"]

#: "TEMPERNG" in ASCII: keeps the exchange stream apart from the lanes' SplitMix64 seeding.
EXCHANGE_STREAM_KEY = 0x54454D5045524E47
COEFF_FRACTION_BITS = 24      # F: |A_i|, |C_i| < 2^7 binary-log units per unit of ΔB, ΔM
COEFF_BITS = 32               # signed
EXP2_TABLE_BITS = 10          # TB: 1024 words of 32 bits, two DP16KD on an ECP5
UNIFORM_BITS = 32

_ONE = 1 << UNIFORM_BITS
EXP2_TABLE = tuple(min(_ONE - 1, round(_ONE * 2.0 ** (-(f + 0.5) / (1 << EXP2_TABLE_BITS))))
                   for f in range(1 << EXP2_TABLE_BITS))


def exchange_coefficients(beta_low: float, beta_high: float, coupling: float, field: float
                          ) -> tuple[int, int]:
    """(A, C) of the pair whose colder temperature has ``beta_low`` (> ``beta_high``)."""
    scale = -(beta_low - beta_high) * math.log2(math.e) * (1 << COEFF_FRACTION_BITS)
    limit = 1 << (COEFF_BITS - 1)
    a, c = round(scale * coupling), round(scale * field)
    if not (-limit <= a < limit and -limit <= c < limit):
        raise ValueError(f"the exchange coefficients of β {beta_low:g} → {beta_high:g} "
                         f"(J = {coupling:g}, h = {field:g}) do not fit {COEFF_BITS} bits: "
                         "the temperatures are too far apart for the chip's rule")
    return a, c


def fixed_exponent(a: int, c: int, d_bond: int, d_mag: int) -> int:
    """y, the exponent in 2^−F binary-log units, from B_low − B_high and M_low − M_high."""
    return a * d_bond + c * d_mag


def accepts(y: int, u: int) -> bool:
    """Whether the rule accepts exponent ``y`` with the 32-bit uniform ``u``."""
    if y >= 0:
        return True
    z = -y
    n = z >> COEFF_FRACTION_BITS
    if n >= UNIFORM_BITS:
        return False
    f = (z >> (COEFF_FRACTION_BITS - EXP2_TABLE_BITS)) & ((1 << EXP2_TABLE_BITS) - 1)
    return u < (EXP2_TABLE[f] >> n)


def pair_starts(temperatures: int, round_: int) -> range:
    """The lower temperature index of each pair that round ``round_`` proposes (even rounds
    (0,1), (2,3), …; odd rounds (1,2), (3,4), …)."""
    return range(round_ % 2, temperatures - 1, 2)
