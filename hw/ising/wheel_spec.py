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

Seeding by injection. No state word is ever loaded, so no word needs a multiplexer in front of
it (a k-bit load multiplexer per lane was a third of a wheel's LUTs). Seeding clears the state,
then runs ``WHEEL_ROUNDS`` rounds: the seeder's SplitMix64 outputs, each OR 1, fill a P-bit
injection register through a chain of c = min(64, P)-bit segments (the value enters the last
segment and shifts towards segment 0, so after a round global segment t holds the low c bits of
output ``round·segments + t``), and the wheel advances once with bit i of that register (lane i:
wheel i // G, word i % G) added as the carry into lane i's new word:

    x_{n+j} = state[j] + state[j+63] + inject[w·G + j]  (mod 2^k).

The carry input of an adder is free on ECP5 (the carry chain's feed-in cell takes it). After
the last round the wheels make ``warmup_advances`` plain advances, ``WHEEL_WARMUP_WORDS`` words
in all, so that the injected low bits have carried into every bit of every word. Round 0's
first bit is 1 (the OR), so the state's low bits, a GF(2)-linear function of the injected bits,
start non-zero; a round can cancel them only if 64 random bits match the state exactly.
"""

from __future__ import annotations

__all__ = ["WHEEL_LONG_LAG", "WHEEL_SHORT_LAG", "WHEEL_OUTPUT_LAG", "WHEEL_MAX_LANES",
           "WHEEL_ROUNDS", "WHEEL_WARMUP_WORDS", "WheelLayout"]

WHEEL_LONG_LAG = 127
WHEEL_SHORT_LAG = 64
WHEEL_OUTPUT_LAG = 126
WHEEL_MAX_LANES = 64
# 32 rounds inject 2 048 bits into a 64-lane wheel: as many as its 127 × 16-bit state holds.
WHEEL_ROUNDS = 32
# 2^15 words: a word grows by a factor of 2 about every 100 words of the sequence, so the
# injected ones have reached bit 15 after ~1 600 words; twenty times that mixes the state.
WHEEL_WARMUP_WORDS = 1 << 15


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
        self.segment_bits = min(64, lanes)
        self.segments = lanes // self.segment_bits
        self.rounds = WHEEL_ROUNDS
        self.warmup_advances = -(-WHEEL_WARMUP_WORDS // self.wheel_lanes)

    @property
    def seed_outputs(self) -> int:
        """SplitMix64 outputs that one seeding takes."""
        return self.rounds * self.segments

    @property
    def state_bits(self) -> int:
        return self.wheels * WHEEL_LONG_LAG * self.k
