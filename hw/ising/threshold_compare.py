"""The metropolis-h0 lanes' accept test, r < (far ? T_far : T_near), as one ECP5 carry chain.

Built from Yosys's cells, a lane's compare is a carry chain (plus the cell nextpnr adds to bring
its carry out to logic) behind a (k+1)-bit 2:1 multiplexer of LUTs and a register of the
selected threshold: 17 LUTs and 17 flip-flops per lane beside the chain at k = 16. A CCU2C
half computes its propagate with a LUT4, so the multiplexer fits in the chain's own LUTs.

For T + ~r with carry in 0, the carry out is 1 exactly when r < T (k bits). Bit i's half takes
A = r_i, B = T_far,i, C = T_near,i, D = sel (far): propagate p = ¬(r_i ⊕ T_i) with T_i = D ? B :
C. The half's generate is its LUT2 on (A, B), which shares INIT[3:0] with the LUT4 at C = D = 0;
there T_i = C = 0, so INIT[3:0] = ¬A, and ¬r_i is the generate that T + ~r needs wherever p = 0.

The chain starts with a half whose INIT is 0 (propagate and generate both 0), so the carry into
bit 0 is 0 whatever reaches the chain from the west, and no feed-in cell is needed. It ends
with a half whose LUT4 gives the threshold's top bit T_k (set only for T = 2^k, when the low
bits are 0 and the chain's carry is 0): its sum T_k ⊕ carry is the accept, in the chain's own
slice, so no feed-out cell is needed either. A lane's compare is ⌈(k + 2) / 2⌉ CCU2C.

Elsewhere (simulation, other families) the same function is plain logic.
"""

from amaranth import Const, Instance, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ThresholdCompare", "bit_init", "top_init"]


def _init(function) -> int:
    """A LUT4's INIT from ``function(a, b, c, d)`` (index d·8 + c·4 + b·2 + a)."""
    return sum(function(i & 1, i >> 1 & 1, i >> 2 & 1, i >> 3 & 1) << i for i in range(16))


def bit_init() -> int:
    """INIT of bit i's half: A = r_i, B = far_i, C = near_i, D = sel; p = ¬(r_i ⊕ T_i)."""
    return _init(lambda a, b, c, d: 1 - (a ^ (b if d else c)))


def top_init() -> int:
    """INIT of the last half: its LUT4 is T_k = (D ? B : C)."""
    return _init(lambda a, b, c, d: b if d else c)


class ThresholdCompare(wiring.Component):
    """``accept`` = ``rand`` < (``far`` ? ``t_far`` : ``t_near``), combinational; ``rand`` has k
    bits and the thresholds k + 1 (at most 2^k). On ECP5 one hand-placed carry chain."""

    def __init__(self, k: int):
        self.k = k
        super().__init__({"rand": In(k), "far": In(1), "t_far": In(k + 1), "t_near": In(k + 1),
                          "accept": Out(1)})

    def elaborate(self, platform):
        m = Module()
        k = self.k
        if getattr(platform, "family", None) != "ecp5":
            threshold = Mux(self.far, self.t_far, self.t_near)
            m.d.comb += self.accept.eq(self.rand < threshold)
            return m
        zero = Const(0, 1)
        # Halves: the gate, bits 0 … k−1, the top; then a spare (INIT 0) to fill the last cell.
        halves = [(0, (zero, zero, zero, zero))]
        halves += [(bit_init(), (self.rand[i], self.t_far[i], self.t_near[i], self.far))
                   for i in range(k)]
        halves.append((top_init(), (zero, self.t_far[k], self.t_near[k], self.far)))
        top = len(halves) - 1
        if len(halves) % 2:
            halves.append((0, (zero, zero, zero, zero)))
        carry = None
        for n in range(len(halves) // 2):
            sums = (Signal(name=f"s{2 * n}"), Signal(name=f"s{2 * n + 1}"))
            cout = Signal(name=f"c{n}")
            ports = {}
            for h in range(2):
                init, (a, b, c, d) = halves[2 * n + h]
                ports.update({f"p_INIT{h}": Const(init, 16), f"p_INJECT1_{h}": "NO",
                              f"i_A{h}": a, f"i_B{h}": b, f"i_C{h}": c, f"i_D{h}": d,
                              f"o_S{h}": sums[h]})
            if carry is not None:
                ports["i_CIN"] = carry
            m.submodules[f"ccu2c{n}"] = Instance("CCU2C", **ports, o_COUT=cout)
            if 2 * n <= top < 2 * n + 2:
                m.d.comb += self.accept.eq(sums[top - 2 * n])
            carry = cout
        return m
