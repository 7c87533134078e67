"""ECP5 carry-chain cells placed by hand: a chain of CCU2C built from per-half LUT4 functions.

A CCU2C half computes its propagate p with a LUT4 of (A, B, C, D) and its generate g with a
LUT2 of (A, B) that reads INIT[3:0], the LUT4's entries at C = D = 0; the carry out is
p ? carry in : g and the sum is p ⊕ carry in. Yosys ties D to 1 and uses two inputs; logic that
fits the other two (a multiplexer, an XOR) saves a LUT per bit in front of the chain.
"""

from amaranth import Const, Instance, Signal

__all__ = ["lut_init", "CarryHalf", "carry_chain"]


def lut_init(function) -> int:
    """A LUT4's INIT from ``function(a, b, c, d)`` (entry d·8 + c·4 + b·2 + a)."""
    return sum(function(i & 1, i >> 1 & 1, i >> 2 & 1, i >> 3 & 1) << i for i in range(16))


class CarryHalf:
    """One half of a CCU2C: its INIT and its A, B, C, D inputs (values or constants)."""

    def __init__(self, init: int, a=0, b=0, c=0, d=0):
        self.init = init
        self.inputs = [Const(x, 1) if isinstance(x, int) else x for x in (a, b, c, d)]


def carry_chain(m, halves: list[CarryHalf], name: str) -> list[Signal]:
    """Instantiate ``halves`` as one carry chain (two per CCU2C, a spare half with INIT 0 at an
    odd end) with no carry in connected; return each half's sum. The first half must make its
    carry out independent of the carry in (p = 0 there), since nothing feeds the chain."""
    halves = list(halves)
    if len(halves) % 2:
        halves.append(CarryHalf(0))
    sums = [Signal(name=f"{name}_s{i}") for i in range(len(halves))]
    carry = None
    for n in range(len(halves) // 2):
        ports = {}
        for h in range(2):
            half = halves[2 * n + h]
            ports.update({f"p_INIT{h}": Const(half.init, 16), f"p_INJECT1_{h}": "NO",
                          f"o_S{h}": sums[2 * n + h]})
            ports.update({f"i_{pin}{h}": x for pin, x in zip("ABCD", half.inputs)})
        if carry is not None:
            ports["i_CIN"] = carry
        carry = Signal(name=f"{name}_c{n}")
        m.submodules[f"{name}_ccu2c{n}"] = Instance("CCU2C", **ports, o_COUT=carry)
    return sums
