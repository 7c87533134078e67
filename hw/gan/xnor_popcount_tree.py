"""popcount(XNOR(a, w)) of one lane and chunk; on ECP5 as LUT4s and carry chains placed by hand.

Yosys maps today's adder tree (``popcount`` of the XNOR bits) to about 6 LUT4 per input bit: it
merges the tree into one multi-operand sum and builds it from LUT-based full adders, with the
XNOR in separate LUTs. The hand-mapped tree costs about 3.2 LUT equivalents per bit at B = 64:

- pairs: one LUT4 per output bit reads (a_2j, w_2j, a_2j+1, w_2j+1), so the XNOR is free:
  the pair's count in two bits, 1 LUT per input bit;
- quads: two pair counts (each 0..2) to a 3-bit count (0..4), three LUT4s per four inputs;
- then a tree of ripple adders, each one carry chain (CCU2C) with its bit 0 in a LUT4.
"""

from __future__ import annotations

from amaranth import Cat, Const, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.ising.ecp5_carry import CarryHalf, carry_chain, lut_init
from bitspin.hw.ising.popcount import popcount

__all__ = ["XnorPopcount", "START_INIT", "BIT_INIT"]

#: Carry-chain half of an adder's bit 0: propagate 0 (D = 1), generate a·b.
START_INIT = lut_init(lambda a, b, c, d: 0 if d else (a & b if not c else 0))
#: Carry-chain half of bit i > 0: propagate a ⊕ b (D = 1), generate a (used where a = b).
BIT_INIT = lut_init(lambda a, b, c, d: (a ^ b) if d else (a if not c else 0))


class XnorPopcount(wiring.Component):
    """``count`` = the number of bits i with ``a[i] == w[i]``, combinational.

    ``bits`` is a power of two, at least 4. On ECP5 (a platform whose ``family`` is ``ecp5``)
    it is built from hand-placed LUT4 and CCU2C cells unless ``hand_mapped`` is False;
    elsewhere (simulation) it is the plain expression, which ``tests/ecp5_proof.py`` proves
    equal to the cells.
    """

    def __init__(self, bits: int, hand_mapped: bool = True):
        if not isinstance(bits, int) or bits < 4 or bits & (bits - 1):
            raise ValueError(f"bits must be a power of two >= 4, not {bits!r}")
        self.bits, self.hand_mapped = bits, bool(hand_mapped)
        super().__init__({"a": In(bits), "w": In(bits), "count": Out(bits.bit_length())})

    def elaborate(self, platform):
        m = Module()
        if not self.hand_mapped or getattr(platform, "family", None) != "ecp5":
            m.d.comb += self.count.eq(popcount(~(self.a ^ self.w)))
            return m
        a, w = self.a, self.w
        luts = iter(range(1 << 20))

        def lut(function, *inputs):
            out = Signal(name=f"lut{next(luts)}")
            pins = [*inputs, *[Const(0, 1)] * (4 - len(inputs))]
            m.submodules[out.name] = Instance(
                "LUT4", p_INIT=Const(lut_init(function), 16),
                **{f"i_{pin}": value for pin, value in zip("ABCD", pins)}, o_Z=out)
            return out

        def pair_bit(k):
            return lambda a0, w0, a1, w1: ((a0 == w0) + (a1 == w1)) >> k & 1

        def quad_bit(k):
            return lambda s0, c0, s1, c1: (s0 + 2 * c0 + s1 + 2 * c1) >> k & 1

        pairs = [(lut(pair_bit(0), a[j], w[j], a[j + 1], w[j + 1]),
                  lut(pair_bit(1), a[j], w[j], a[j + 1], w[j + 1]))
                 for j in range(0, self.bits, 2)]
        terms = []
        for j in range(0, len(pairs), 2):
            (s0, c0), (s1, c1) = pairs[j], pairs[j + 1]
            terms.append([lut(quad_bit(k), s0, c0, s1, c1) for k in range(3)])
        adders = iter(range(1 << 20))
        while len(terms) > 1:
            terms = [self._add(m, lut, terms[j], terms[j + 1], f"add{next(adders)}")
                     for j in range(0, len(terms), 2)]
        m.d.comb += self.count.eq(Cat(*terms[0]))
        return m

    @staticmethod
    def _add(m, lut, x, y, name):
        """x + y (unsigned, equal widths n >= 2) as n + 1 bits: bit 0 in a LUT4, bits 1 … n
        from one carry chain whose first half generates bit 0's carry."""
        n = len(x)
        bit0 = lut(lambda p, q, c, d: p ^ q, x[0], y[0])
        halves = [CarryHalf(START_INIT, x[0], y[0], 0, 1)]
        halves += [CarryHalf(BIT_INIT, x[i], y[i], 0, 1) for i in range(1, n)]
        halves.append(CarryHalf(0, 0, 0, 0, 1))      # propagate 0: its sum is the carry out
        sums = carry_chain(m, halves, name)
        return [bit0, *sums[1:n + 1]]
