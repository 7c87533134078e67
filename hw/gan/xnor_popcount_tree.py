"""popcount(XNOR(a, w)) of one lane and chunk; on ECP5 as LUT4s and carry chains placed by hand.

Yosys maps today's adder tree (``popcount`` of the XNOR bits) to about 6 LUT4 per input bit: it
merges the tree into one multi-operand sum and builds it from LUT-based full adders, with the
XNOR in separate LUTs. The hand-mapped tree costs about 3.2 LUT equivalents per bit at B = 64:

- pairs: one LUT4 per output bit reads (a_2j, w_2j, a_2j+1, w_2j+1), so the XNOR is free:
  the pair's count in two bits, 1 LUT per input bit;
- quads: two pair counts (each 0..2) to a 3-bit count (0..4), three LUT4s per four inputs;
- then a tree of ripple adders, each one carry chain (``hw.gan.ecp5_adders``).
"""

from __future__ import annotations

from amaranth import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.ecp5_adders import Cells
from bitspin.hw.ising.popcount import popcount

__all__ = ["XnorPopcount"]


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
        a, w, cells = self.a, self.w, Cells(m, "count")

        def pair_bit(k):
            return lambda a0, w0, a1, w1: ((a0 == w0) + (a1 == w1)) >> k & 1

        def quad_bit(k):
            return lambda s0, c0, s1, c1: (s0 + 2 * c0 + s1 + 2 * c1) >> k & 1

        pairs = [[cells.lut(pair_bit(k), a[j], w[j], a[j + 1], w[j + 1]) for k in range(2)]
                 for j in range(0, self.bits, 2)]
        terms = [[cells.lut(quad_bit(k), *pairs[j], *pairs[j + 1]) for k in range(3)]
                 for j in range(0, len(pairs), 2)]
        while len(terms) > 1:
            terms = [cells.add(terms[j], terms[j + 1], signed=False)
                     for j in range(0, len(terms), 2)]
        m.d.comb += self.count.eq(Cat(*terms[0]))
        return m
