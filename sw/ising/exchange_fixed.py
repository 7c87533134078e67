"""Golden model of the chip's exchange rule (``hw.ising.exchange_spec``), bit-exact with
``hw.ising.exchange_unit.ExchangeUnit``."""

from __future__ import annotations

from bitspin.hw.ising.exchange_spec import (EXCHANGE_STREAM_KEY, accepts, exchange_coefficients,
                                            fixed_exponent)

from .rng import LaneRngs

__all__ = ["FixedExchange", "exchange_stream_seed"]


def exchange_stream_seed(seed: int, copy: int) -> int:
    """The SplitMix64 seed whose first output starts copy ``copy``'s stream."""
    return ((seed ^ EXCHANGE_STREAM_KEY) + copy) % (1 << 64)


class FixedExchange:
    """One replica set's decisions under the fixed-point rule.

    ``betas`` ascend in temperature (descend in β); ``propose(i, low, high)`` takes the
    last-sweep (M, B) of the slots at temperatures i and i + 1 and draws one uniform.
    """

    def __init__(self, betas, coupling: float, field: float, seed: int, copy: int = 0):
        self.coefficients = [exchange_coefficients(betas[i], betas[i + 1], coupling, field)
                             for i in range(len(betas) - 1)]
        self.rng = LaneRngs(exchange_stream_seed(seed, copy), 1, 32)

    @property
    def rng_state(self) -> int:
        """The stream's 64-bit state (s0 in the low word), as the unit's ``rng_state`` takes it."""
        return int(self.rng.s0[0]) | int(self.rng.s1[0]) << 32

    def propose(self, i: int, low, high) -> bool:
        """Whether pair i exchanges; ``low``/``high`` are (M, B) at temperatures i and i + 1."""
        u = int(self.rng.draw()[0])
        a, c = self.coefficients[i]
        return accepts(fixed_exponent(a, c, int(low[1]) - int(high[1]),
                                      int(low[0]) - int(high[0])), u)
