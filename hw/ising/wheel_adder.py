"""A wheel's new word, a + (b ⊕ c) + carry (mod 2^k), with the XOR inside the adder's LUTs.

On ECP5 bit i's CCU2C half takes A = a_i, B = b_i, C = c_i, D = 1: its propagate
a_i ⊕ b_i ⊕ c_i comes from INIT[15:8] (D = 1) and its generate from INIT[3:0] = A (where the
propagate is 0, a_i equals the operand bit b_i ⊕ c_i, so a_i is the carry). The chain's first
half is the carry in: D = 1 makes its propagate 0, and its generate is A = ``carry``, whatever
reaches the chain from the west (the feed-in cell nextpnr would add for a carry-in signal).
A word is ⌈(k + 1) / 2⌉ CCU2C and no other LUT.

The hand-placed chain is off by default (``hand_placed``): it saves 16 LUT4 per lane, but its
three distinct inputs per half (Yosys's chains use two) did not route. At L = 256, P = 256 with
it, router2's overuse stalled at a few hundred to a few thousand wires after 30–70 iterations,
at a third of the chip (docs/design_space.md). Yosys then maps the XOR to a LUT4 per bit.
"""

from amaranth import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .ecp5_carry import CarryHalf, carry_chain, lut_init

__all__ = ["WheelAdder", "sum_init", "carry_in_init"]


def sum_init() -> int:
    """INIT of bit i's half: propagate a ⊕ b ⊕ c at D = 1, generate a in INIT[3:0]."""
    return lut_init(lambda a, b, c, d: (a ^ b ^ c) if d else (a if not c else 0))


def carry_in_init() -> int:
    """INIT of the first half: propagate 0 at D = 1, generate A."""
    return lut_init(lambda a, b, c, d: 0 if d else (a if not c else 0))


class WheelAdder(wiring.Component):
    """``total`` = (``a`` + (``b`` ⊕ ``c``) + ``carry``) mod 2^k, combinational; on ECP5 one
    hand-placed carry chain if ``hand_placed``."""

    def __init__(self, k: int, hand_placed: bool = False):
        self.k, self.hand_placed = k, hand_placed
        super().__init__({"a": In(k), "b": In(k), "c": In(k), "carry": In(1), "total": Out(k)})

    def elaborate(self, platform):
        m = Module()
        k = self.k
        if not self.hand_placed or getattr(platform, "family", None) != "ecp5":
            m.d.comb += self.total.eq(self.a + (self.b ^ self.c) + self.carry)
            return m
        halves = [CarryHalf(carry_in_init(), self.carry, 0, 0, 1)]
        halves += [CarryHalf(sum_init(), self.a[i], self.b[i], self.c[i], 1) for i in range(k)]
        sums = carry_chain(m, halves, "adder")
        m.d.comb += self.total.eq(Cat(*sums[1:k + 1]))
        return m
