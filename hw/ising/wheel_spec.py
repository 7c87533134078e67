"""The lagged-Fibonacci wheel: the lean lanes' random numbers (specification, pure Python).

One wheel serves G = min(P, 64) lanes; a core of P lanes has P / G wheels. Each wheel is a
lagged-Fibonacci generator of k-bit words that mixes + and ⊕ in its recurrence,

    x_n = x_{n−75} + (x_{n−125} ⊕ x_{n−127})  (mod 2^k),

and the lanes take x_n itself. Its low bit obeys x_n = x_{n−75} ⊕ x_{n−125} ⊕ x_{n−127} over
GF(2), whose characteristic polynomial x^127 + x^52 + x^2 + 1 is (x + 1) times a primitive
polynomial of degree 126 (the only such choice of lags from 64 to 127 with 127 the longest):
unless the low bits start constant, the low bit is an m-sequence of period 2^126 − 1, and it
satisfies no relation of fewer than four terms. The carries make the higher bits nonlinear.
Mixing + and ⊕ breaks the exact three-term relation of a two-tap generator, which biased Ising
simulations (Ferrenberg, Landau & Wong 1992); Janus's Parisi–Rapuano generator mixes them in
its output instead (lags 24, 55, ⊕ 61). Here the XOR is on an operand, where a hand-placed
carry chain can take it into the adder's own LUTs (``wheel_adder``).

State and step. The wheel holds the last 127 words, ``state[0] = x_{n−127}`` … ``state[126] =
x_{n−1}``. One advance makes G words at once (G ≤ 64 < 75, the shortest lag, so each new word
depends on old words only): lane j takes x_{n+j} = state[j + 52] + (state[j + 2] ⊕ state[j])
and the state becomes ``state[G:] + new``. In hardware a lane therefore costs one k-bit adder
and 127·k/G flip-flops of a state that only shifts: no per-lane 64-bit generator.

Seeding by injection. No state word is ever loaded, so no word needs a multiplexer in front of
it (a k-bit load multiplexer per lane was a third of a wheel's LUTs). Seeding clears the state,
then runs ``WHEEL_ROUNDS`` rounds: the seeder's SplitMix64 outputs, each OR 1, fill a P-bit
injection register through a chain of c = min(64, P)-bit segments (the value enters the last
segment and shifts towards segment 0, so after a round global segment t holds the low c bits of
output ``round·segments + t``), and the wheel advances once with bit i of that register (lane i:
wheel i // G, word i % G) added as the carry into lane i's new word:

    x_{n+j} = state[j + 52] + (state[j + 2] ⊕ state[j]) + inject[w·G + j]  (mod 2^k).

The carry input of an adder is free on ECP5 (the chain's first half, ``wheel_adder``). After
the last round the wheels make ``warmup_advances`` plain advances, ``WHEEL_WARMUP_WORDS`` words
in all, so that the injected low bits have carried into every bit of every word. Round 0's
first bit is 1 (the OR), so the state's low bits, a GF(2)-linear function of the injected bits,
start non-zero; they end constant (all 0 or all 1, the two states outside the m-sequence) only
if the injected bits match the state exactly, which has probability about 2^−126.
"""

from __future__ import annotations

__all__ = ["WHEEL_LONG_LAG", "WHEEL_ADD_LAG", "WHEEL_MIX_LAG", "WHEEL_MAX_LANES",
           "WHEEL_ROUNDS", "WHEEL_WARMUP_WORDS", "WheelLayout"]

WHEEL_LONG_LAG = 127
WHEEL_ADD_LAG = 75
WHEEL_MIX_LAG = 125
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
