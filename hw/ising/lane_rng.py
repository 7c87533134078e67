"""One lane's random number generator: xoroshiro64 with the + scrambler (see ``params``)."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .params import XOROSHIRO64_ROTATE_S0, XOROSHIRO64_ROTATE_S1, XOROSHIRO64_SHIFT

__all__ = ["LaneRng"]


class LaneRng(wiring.Component):
    """A 64-bit-state generator giving a fresh k-bit number every clock that ``advance`` is high.

    ``value`` is the top k bits of (s0 + s1) mod 2^32 for the current state; it is consumed in
    the same clock as ``advance``. ``load`` replaces the state with ``load_state`` (s0 in the low
    word), which is how the seeder's shift chain passes through the lanes; ``state`` exposes the
    state to the next lane of the chain. Cost: 64 flip-flops, a 32-bit adder (top k bits used),
    and one LUT level of XORs per state bit.
    """

    def __init__(self, k: int):
        self.k = k
        super().__init__({"advance": In(1), "load": In(1), "load_state": In(64),
                          "state": Out(64), "value": Out(k)})

    def elaborate(self, platform):
        m = Module()
        # No sync reset: the state is seeded before use (a reset net to every lane's 64 state
        # bits limited fmax); it holds its configuration value until the seeder loads it.
        s0, s1 = Signal(32, reset_less=True), Signal(32, reset_less=True)
        t = Signal(32)
        m.d.comb += [
            t.eq(s0 ^ s1),
            self.value.eq((s0 + s1)[32 - self.k:32]),
            self.state.eq(Cat(s0, s1)),
        ]
        with m.If(self.load):
            m.d.sync += [s0.eq(self.load_state[:32]), s1.eq(self.load_state[32:])]
        with m.Elif(self.advance):
            m.d.sync += [
                s0.eq(s0.rotate_left(XOROSHIRO64_ROTATE_S0) ^ t ^ (t << XOROSHIRO64_SHIFT)[:32]),
                s1.eq(t.rotate_left(XOROSHIRO64_ROTATE_S1)),
            ]
        return m
