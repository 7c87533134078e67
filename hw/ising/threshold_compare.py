"""The metropolis-h0 lanes' accept test, r < (far ? T_far : T_near), as one ECP5 carry chain.

Built from Yosys's cells, a lane's compare is a carry chain (plus the cell nextpnr adds to bring
its carry out to logic) behind a (k+1)-bit 2:1 multiplexer of LUTs and a register of the
selected threshold: 17 LUTs and 17 flip-flops per lane beside the chain at k = 16. A CCU2C
half computes its propagate with a LUT4 (``ecp5_carry``), so the multiplexer fits in the
chain's own LUTs.

For T + ~r with carry in 0, the carry out is 1 exactly when r < T (k bits). Bit i's half takes
A = r_i, B = T_far,i, C = T_near,i, D = sel (far): propagate p = ¬(r_i ⊕ T_i) with T_i = D ? B :
C. Its generate is the LUT2 on (A, B) that shares INIT[3:0] with the LUT4 at C = D = 0; there
T_i = C = 0, so INIT[3:0] = ¬A, and ¬r_i is the generate that T + ~r needs wherever p = 0.

The chain starts with a half whose INIT is 0 (propagate and generate both 0), so the carry into
bit 0 is 0 whatever reaches the chain from the west, and no feed-in cell is needed. It ends
with a half whose LUT4 gives the threshold's top bit T_k (set only for T = 2^k, when the low
bits are 0 and the chain's carry is 0): its sum T_k ⊕ carry is the accept, in the chain's own
slice, so no feed-out cell is needed either. A lane's compare is ⌈(k + 2) / 2⌉ CCU2C.

Elsewhere (simulation, other families) the same function is plain logic. The hand-placed
chain is off by default (``hand_placed``): it routed at L = 256, P = 256 but slowed the clock
(83.1 MHz with 5.6 ns of routing into a chain, against 108.8 MHz for Yosys's compare and
multiplexer; docs/design_space.md, runs 20 and 21).
"""

from amaranth import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .ecp5_carry import CarryHalf, carry_chain, lut_init

__all__ = ["ThresholdCompare", "bit_init", "top_init"]


def bit_init() -> int:
    """INIT of bit i's half: A = r_i, B = far_i, C = near_i, D = sel; p = ¬(r_i ⊕ T_i)."""
    return lut_init(lambda a, b, c, d: 1 - (a ^ (b if d else c)))


def top_init() -> int:
    """INIT of the last half: its LUT4 is T_k = (D ? B : C)."""
    return lut_init(lambda a, b, c, d: b if d else c)


class ThresholdCompare(wiring.Component):
    """``accept`` = ``rand`` < (``far`` ? ``t_far`` : ``t_near``), combinational; ``rand`` has k
    bits and the thresholds k + 1, each at most 2^k (as the host's tables are). On ECP5 one
    hand-placed carry chain if ``hand_placed``."""

    def __init__(self, k: int, hand_placed: bool = False):
        self.k, self.hand_placed = k, hand_placed
        super().__init__({"rand": In(k), "far": In(1), "t_far": In(k + 1), "t_near": In(k + 1),
                          "accept": Out(1)})

    def elaborate(self, platform):
        m = Module()
        k = self.k
        if not self.hand_placed or getattr(platform, "family", None) != "ecp5":
            threshold = Mux(self.far, self.t_far, self.t_near)
            m.d.comb += self.accept.eq(self.rand < threshold)
            return m
        halves = [CarryHalf(0)]                                       # the carry in: 0
        halves += [CarryHalf(bit_init(), self.rand[i], self.t_far[i], self.t_near[i], self.far)
                   for i in range(k)]
        halves.append(CarryHalf(top_init(), 0, self.t_far[k], self.t_near[k], self.far))
        m.d.comb += self.accept.eq(carry_chain(m, halves, "compare")[k + 1])
        return m
