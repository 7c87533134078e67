"""On-chip sums of the observables (specification, pure Python).

Over one RUN the core adds up what the host's statistics need, as exact integers, so that a
board need not stream every sweep's (M, B) over its link:

- ``count``: records (measured sweeps);
- ``m``, ``abs_m``, ``m2``, ``m4``: Σ M, Σ |M|, Σ M², Σ M⁴;
- ``b``, ``b2``: Σ B, Σ B²;
- ``bm``: Σ B·M (the energy's variance needs it when h ≠ 0).

Each sum is read as ``SUM_WORDS`` 32-bit words, low first, two's complement. The record stream
is decimated at the same time: record n (0-based within the RUN) is forwarded when
n mod every = 0; ``every`` = 1 forwards all of them (the bit-exact verification stream) and 0
none. A RUN's start clears the sums and the decimation phase.
"""

from __future__ import annotations

__all__ = ["OBSERVABLE_SUMS", "SUM_WORDS", "SUM_BITS", "observable_sums", "decimate"]

OBSERVABLE_SUMS = ("count", "m", "abs_m", "m2", "m4", "b", "b2", "bm")
SUM_WORDS = 4
SUM_BITS = 32 * SUM_WORDS     # ≥ 2^32 records of M⁴ ≤ 2^80 (L ≤ 1024), with a sign bit


def observable_sums(magnetization, bond_sum) -> dict:
    """The sums of a RUN's records, as Python ints (the golden model of the core's sums)."""
    m = [int(v) for v in magnetization]
    b = [int(v) for v in bond_sum]
    return {"count": len(m), "m": sum(m), "abs_m": sum(abs(v) for v in m),
            "m2": sum(v * v for v in m), "m4": sum(v ** 4 for v in m), "b": sum(b),
            "b2": sum(v * v for v in b), "bm": sum(x * y for x, y in zip(b, m))}


def decimate(records, every: int):
    """The records a RUN forwards: every ``every``-th from the first (none for 0)."""
    return [] if every == 0 else records[::every]
