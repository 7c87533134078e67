"""SplitMix64 in hardware: derives every lane's RNG state from one 64-bit seed."""

from amaranth import Const, Module, Mux, Signal
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out

from .params import SPLITMIX64_GAMMA, SPLITMIX64_MUL1, SPLITMIX64_MUL2

__all__ = ["SplitMix64Seeder"]


class Phase(enum.Enum, shape=3):
    IDLE = 0
    NEXT = 1      # advance the state for the next output, or stop
    MULTIPLY = 2  # one shift-and-add step of a multiplication
    MIX = 3       # after a multiplication: the xor-shift, then the second one or OUTPUT
    OUTPUT = 4    # the zero check on the registered xor-shift
    EMIT = 5      # the output, 1 in place of zero
    SCRAMBLE = 6  # the advanced state's xor-shift into the first multiplication's operand


class SplitMix64Seeder(wiring.Component):
    """Emits the first ``count`` outputs of SplitMix64 from ``seed`` after a ``start`` pulse.

    The two 64-bit multiplications by constants run bit-serially (one shift-and-add per clock),
    because seeding happens once per run and a 64×64 multiplier would cost more than all the
    lanes' RNGs: about 134 clocks per output and one 64-bit adder for the multiplications. An
    all-zero output is replaced by 1 (a xoroshiro state must not be zero). ``valid`` pulses for
    one clock per output.
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
        # Every register is reset-less: the seeder sits far from the rest of the core at
        # L=256, P=256, and the reset net to it was the critical path (10.9 ns of routing). A
        # reset in the middle of a seeding lets it run to its end; ``start`` restarts it from
        # any phase, so the next SEED is exact either way.
        phase = Signal(Phase, reset_less=True)
        state = Signal(64, reset_less=True)
        operand = Signal(64, reset_less=True)
        product = Signal(64, reset_less=True)
        bit = Signal(range(64), reset_less=True)
        second = Signal(reset_less=True)  # which of the two multiplications is running
        remaining = Signal(range(self.count + 1), reset_less=True)
        valid = Signal(reset_less=True)
        value = Signal(64, reset_less=True)
        zero = Signal(reset_less=True)
        mul1, mul2 = Const(SPLITMIX64_MUL1, 64), Const(SPLITMIX64_MUL2, 64)
        multiplier_bit = Mux(second, mul2.bit_select(bit, 1), mul1.bit_select(bit, 1))
        m.d.comb += [self.busy.eq(phase != Phase.IDLE), self.valid.eq(valid),
                     self.value.eq(value)]

        m.d.sync += valid.eq(0)
        with m.If(self.start):
            m.d.sync += [state.eq(self.seed), remaining.eq(self.count), phase.eq(Phase.NEXT)]
        with m.Elif(phase == Phase.NEXT):
            with m.If(remaining == 0):
                m.d.sync += phase.eq(Phase.IDLE)
            with m.Else():
                # The 64-bit add has a clock of its own: add, xor-shift and the operand's
                # multiplexer in one clock was run 30's critical path (10.1 ns, seed 1).
                m.d.sync += [state.eq((state + SPLITMIX64_GAMMA)[:64]), phase.eq(Phase.SCRAMBLE)]
        with m.Elif(phase == Phase.SCRAMBLE):
            m.d.sync += [operand.eq(state ^ (state >> 30)), product.eq(0), bit.eq(0),
                         second.eq(0), phase.eq(Phase.MULTIPLY)]
        with m.Elif(phase == Phase.MULTIPLY):
            with m.If(multiplier_bit):
                m.d.sync += product.eq(product + operand)
            m.d.sync += [operand.eq(operand << 1), bit.eq(bit + 1)]
            with m.If(bit == 63):
                m.d.sync += phase.eq(Phase.MIX)
        with m.Elif(phase == Phase.MIX):
            with m.If(~second):
                m.d.sync += [operand.eq(product ^ (product >> 27)), product.eq(0), bit.eq(0),
                             second.eq(1), phase.eq(Phase.MULTIPLY)]
            with m.Else():
                # A clock of its own before the zero check: xor-shift and 64-bit zero check
                # in one clock was the critical path of an L=256, P=256 build (10.4 ns).
                m.d.sync += [product.eq(product ^ (product >> 31)), phase.eq(Phase.OUTPUT)]
        with m.Elif(phase == Phase.OUTPUT):
            # The zero flag is registered: the 64-bit check straight into ``value`` (Yosys
            # makes it the registers' sync reset) was the critical path of run 22, seed 2.
            m.d.sync += [zero.eq(product == 0), phase.eq(Phase.EMIT)]
        with m.Elif(phase == Phase.EMIT):
            m.d.sync += [value.eq(product | zero), valid.eq(1),
                         remaining.eq(remaining - 1), phase.eq(Phase.NEXT)]
        return m
