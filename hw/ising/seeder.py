"""SplitMix64 in hardware: derives every lane's RNG state from one 64-bit seed."""

from amaranth import Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .params import SPLITMIX64_GAMMA, SPLITMIX64_MUL1, SPLITMIX64_MUL2

__all__ = ["SplitMix64Seeder"]


class SplitMix64Seeder(wiring.Component):
    """Emits the first ``count`` outputs of SplitMix64 from ``seed`` after a ``start`` pulse.

    The two 64-bit multiplications by constants run bit-serially (one shift-and-add per clock),
    because seeding happens once per run and a 64×64 multiplier would cost more than all the
    lanes' RNGs: about 131 clocks per output and one 64-bit adder. An all-zero output is replaced
    by 1 (a xoroshiro state must not be zero). ``valid`` pulses for one clock per output.
    """

    start: In(1)
    seed: In(64)
    busy: Out(1)
    valid: Out(1)
    value: Out(64)

    def __init__(self, count: int):
        self.count = count
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        state = Signal(64)
        operand = Signal(64)
        product = Signal(64)
        bit = Signal(range(64))
        second = Signal()  # which of the two multiplications is running
        remaining = Signal(range(self.count + 1))
        mul1, mul2 = Const(SPLITMIX64_MUL1, 64), Const(SPLITMIX64_MUL2, 64)
        multiplier_bit = Mux(second, mul2.bit_select(bit, 1), mul1.bit_select(bit, 1))

        m.d.sync += self.valid.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [state.eq(self.seed), remaining.eq(self.count)]
                    m.next = "NEXT"
            with m.State("NEXT"):
                m.d.comb += self.busy.eq(1)
                with m.If(remaining == 0):
                    m.next = "IDLE"
                with m.Else():
                    z = (state + SPLITMIX64_GAMMA)[:64]  # wrap before the shift sees the carry
                    m.d.sync += [state.eq(z), operand.eq(z ^ (z >> 30)), product.eq(0),
                                 bit.eq(0), second.eq(0)]
                    m.next = "MULTIPLY"
            with m.State("MULTIPLY"):
                m.d.comb += self.busy.eq(1)
                with m.If(multiplier_bit):
                    m.d.sync += product.eq(product + operand)
                m.d.sync += [operand.eq(operand << 1), bit.eq(bit + 1)]
                with m.If(bit == 63):
                    m.next = "MIX"
            with m.State("MIX"):
                m.d.comb += self.busy.eq(1)
                with m.If(~second):
                    m.d.sync += [operand.eq(product ^ (product >> 27)), product.eq(0), bit.eq(0),
                                 second.eq(1)]
                    m.next = "MULTIPLY"
                with m.Else():
                    z = product ^ (product >> 31)
                    m.d.sync += [self.value.eq(Mux(z == 0, 1, z)), self.valid.eq(1),
                                 remaining.eq(remaining - 1)]
                    m.next = "NEXT"
        return m
