"""The lagged-Fibonacci wheel: the lean lanes' random numbers (specification, pure Python).

One wheel serves G = min(P, 64) lanes; a core of P lanes has P / G wheels. Each wheel is an
additive lagged-Fibonacci generator modulo 2^k with lags (127, 64),

    x_n = x_{n−64} + x_{n−127}  (mod 2^k),

whose characteristic trinomial x^127 + x^64 + 1 is primitive over GF(2) (127 is a Mersenne
exponent, so irreducible means primitive): with at least one odd word in the state, the period
is (2^127 − 1)·2^(k−1). The lanes do not see x_n but y_n = x_n ⊕ x_{n−126}: mixing + and ⊕
breaks the exact three-term relation of x, the relation that biased Ising simulations with
two-tap generators (Ferrenberg, Landau & Wong 1992); Janus's Parisi–Rapuano generator does the
same with lags (24, 55) and ⊕ x_{n−61}.

State and step. The wheel holds the last 127 words, ``state[0] = x_{n−127}`` … ``state[126] =
x_{n−1}``. One advance makes G words at once (G ≤ 64 = the short lag, so each new word depends
on old words only): lane j takes y_{n+j} = (state[j] + state[j+63]) ⊕ state[j+1] and the state
becomes ``state[G:] + new``. In hardware a lane therefore costs a k-bit adder, k XORs and
127·k/G flip-flops of a state that only shifts: no per-lane 64-bit generator.

Seeding. The seeder's SplitMix64 outputs, each OR 1 (so that every segment's first word is odd),
fill the wheels' *regions* (``state[127−G:]``, G·k bits per wheel) through a chain of
c = gcd(64, G·k)-bit segments: the value enters the last segment of the last wheel and shifts
towards segment 0 of wheel 0, so after a fill, global segment T (wheel w, segment t: T =
w·segments + t) holds the low c bits of output ``base + T``. A fill is followed by a *seed
shift* (``state[:127−G] ← state[G:]``) and the next fill, ⌈127 / G⌉ fills in all.
"""

from __future__ import annotations

from math import gcd

__all__ = ["WHEEL_LONG_LAG", "WHEEL_SHORT_LAG", "WHEEL_OUTPUT_LAG", "WHEEL_MAX_LANES", "WheelLayout"]

WHEEL_LONG_LAG = 127
WHEEL_SHORT_LAG = 64
WHEEL_OUTPUT_LAG = 126
WHEEL_MAX_LANES = 64


class WheelLayout:
    """The wheels of a core with ``lanes`` lanes and ``k``-bit random numbers."""

    def __init__(self, lanes: int, k: int):
        if lanes < 1 or lanes & (lanes - 1):
            raise ValueError(f"lanes must be a power of two, not {lanes}")
        if not 1 <= k <= 32:
            raise ValueError(f"k must be from 1 to 32, not {k}")
        self.lanes, self.k = lanes, k
        self.wheel_lanes = min(lanes, WHEEL_MAX_LANES)
        self.wheels = lanes // self.wheel_lanes
        self.region_words = self.wheel_lanes
        self.segment_bits = gcd(64, self.wheel_lanes * k)
        self.segments = self.wheel_lanes * k // self.segment_bits
        self.fills = -(-WHEEL_LONG_LAG // self.wheel_lanes)

    @property
    def seed_outputs(self) -> int:
        """SplitMix64 outputs that one seeding takes."""
        return self.fills * self.wheels * self.segments

    @property
    def state_bits(self) -> int:
        return self.wheels * WHEEL_LONG_LAG * self.k
