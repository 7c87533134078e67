"""Small adders as hand-placed ECP5 cells: LUT4s and one carry chain (CCU2C) per adder.

Yosys merges a tree of small additions into one multi-operand sum and builds it from LUT-based
full adders (about twice the LUTs of a carry chain per bit), and it puts logic in front of an
adder (an AND, an XOR) in LUTs of its own. These helpers place each adder as one chain: a
CCU2C half reads up to four inputs, computes its propagate p with a LUT4 and its generate with
a LUT2 of (A, B) that shares the LUT4's entries at C = D = 0 (see ``hw.ising.ecp5_carry``).
Bit 0 of a sum comes from a LUT4 and the chain's first half generates bit 0's carry, since
nothing feeds the chain's carry in.
"""

from __future__ import annotations

from amaranth import Const, Instance, Signal

from bitspin.hw.ising.ecp5_carry import CarryHalf, carry_chain, lut_init

__all__ = ["Cells", "START_INIT", "START_FROM_A_INIT", "BIT_INIT", "GATED_INIT"]

#: First half: propagate 0 (D = 1), generate a·b (bit 0's carry).
START_INIT = lut_init(lambda a, b, c, d: 0 if d else (a & b if not c else 0))
#: First half: propagate 0 (D = 1), generate a (bit 0's carry, computed by a LUT4).
START_FROM_A_INIT = lut_init(lambda a, b, c, d: 0 if d else (a if not c else 0))
#: Bit i > 0: propagate a ⊕ b (D = 1), generate a (used where a = b).
BIT_INIT = lut_init(lambda a, b, c, d: (a ^ b) if d else (a if not c else 0))
#: Bit i > 0 of (a·b) + (c·d): propagate (a·b) ⊕ (c·d); its generate, the entries at
#: c = d = 0, is a·b, which is the carry wherever the propagate is 0.
GATED_INIT = lut_init(lambda a, b, c, d: (a & b) ^ (c & d))


class Cells:
    """Places LUT4s and adders into module ``m`` under names starting with ``prefix``."""

    def __init__(self, m, prefix: str):
        self.m, self.prefix, self.count = m, prefix, 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{self.prefix}_{kind}{self.count}"

    def lut(self, function, *inputs) -> Signal:
        """A LUT4 computing ``function(a, b, c, d)`` of up to four inputs (the rest 0)."""
        out = Signal(name=self._name("lut"))
        pins = [*inputs, *[Const(0, 1)] * (4 - len(inputs))]
        self.m.submodules[out.name] = Instance(
            "LUT4", p_INIT=Const(lut_init(function), 16),
            **{f"i_{pin}": value for pin, value in zip("ABCD", pins)}, o_Z=out)
        return out

    def add(self, x, y, signed: bool) -> list:
        """x + y for equal widths n >= 2: n + 1 bits, the top one the carry out (unsigned) or
        the sign (two's complement, both operands sign-extended)."""
        n = len(x)
        bit0 = self.lut(lambda p, q, c, d: p ^ q, x[0], y[0])
        halves = [CarryHalf(START_INIT, x[0], y[0], 0, 1)]
        halves += [CarryHalf(BIT_INIT, x[i], y[i], 0, 1) for i in range(1, n)]
        if signed:
            halves.append(CarryHalf(BIT_INIT, x[n - 1], y[n - 1], 0, 1))
        else:
            halves.append(CarryHalf(0, 0, 0, 0, 1))    # propagate 0: its sum is the carry out
        sums = carry_chain(self.m, halves, self._name("add"))
        return [bit0, *sums[1:n + 1]]

    def gated_add(self, a0, w0, a1, w1) -> list:
        """(a0 ? w0 : 0) + (a1 ? w1 : 0) for two's-complement weights of n >= 2 bits: n + 1
        bits, the gating inside the chain's LUTs."""
        n = len(w0)
        bit0 = self.lut(lambda p, q, r, s: (p & q) ^ (r & s), w0[0], a0, w1[0], a1)
        carry0 = self.lut(lambda p, q, r, s: p & q & r & s, w0[0], a0, w1[0], a1)
        halves = [CarryHalf(START_FROM_A_INIT, carry0, 0, 0, 1)]
        halves += [CarryHalf(GATED_INIT, w0[i], a0, w1[i], a1) for i in range(1, n)]
        halves.append(CarryHalf(GATED_INIT, w0[n - 1], a0, w1[n - 1], a1))   # the sign
        sums = carry_chain(self.m, halves, self._name("gadd"))
        return [bit0, *sums[1:n + 1]]
