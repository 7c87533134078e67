"""The lean lanes' random numbers in gateware: the lagged-Fibonacci wheels of ``wheel_spec``."""

from amaranth import Cat, Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .wheel_spec import WHEEL_LONG_LAG, WHEEL_OUTPUT_LAG, WHEEL_SHORT_LAG, WheelLayout

__all__ = ["WheelRngBank"]


class WheelRngBank(wiring.Component):
    """P / G wheels giving every lane a fresh k-bit number each clock that ``advance`` is high.

    ``values[i]`` is lane i's number for the current state, consumed in the same clock as
    ``advance`` (as :class:`.lane_rng.LaneRng`). Seeding: pulse ``seed_start`` with the
    seeder's start, then pulse ``load`` once per SplitMix64 output with ``load_value`` (the
    seeder holds it), ``WheelLayout.seed_outputs`` times; the bank makes its own seed shifts
    between fills. Only the regions (the G newest words of each wheel) take the chain; the
    other words only ever shift, so they need no multiplexer.
    """

    def __init__(self, lanes: int, k: int):
        self.layout = WheelLayout(lanes, k)
        self.k = k
        super().__init__({"advance": In(1), "load": In(1), "load_value": In(64),
                          "seed_start": In(1),
                          "values": Out(data.ArrayLayout(k, lanes))})

    def elaborate(self, platform):
        m = Module()
        lay, k = self.layout, self.k
        g, c = lay.wheel_lanes, lay.segment_bits
        shifted = WHEEL_LONG_LAG - g
        # State is reset-less: it is seeded before use, like the xoroshiro lanes.
        words = [[Signal(k, name=f"wheel{w}_x{i}", reset_less=True)
                  for i in range(WHEEL_LONG_LAG)] for w in range(lay.wheels)]

        # Seed shifts between fills: after every wheels·segments loads, except the last fill.
        per_fill = lay.wheels * lay.segments
        loads = Signal(range(per_fill + 1), reset_less=True)
        fills = Signal(range(lay.fills + 1), reset_less=True)
        seed_shift = Signal(reset_less=True)
        m.d.sync += seed_shift.eq(0)
        with m.If(self.seed_start):
            m.d.sync += [loads.eq(0), fills.eq(0)]
        with m.Elif(self.load):
            with m.If(loads == per_fill - 1):
                m.d.sync += [loads.eq(0), fills.eq(fills + 1),
                             seed_shift.eq(fills != lay.fills - 1)]
            with m.Else():
                m.d.sync += loads.eq(loads + 1)

        # The chain, wheel by wheel: segment t of wheel w takes the next segment; the last
        # segment of the last wheel takes the seeder's value (OR 1: an odd first word).
        regions = [Cat(*words[w][shifted:]) for w in range(lay.wheels)]
        chain = [regions[w][t * c:(t + 1) * c]
                 for w in range(lay.wheels) for t in range(lay.segments)]
        chain_in = chain[1:] + [(self.load_value | 1)[:c]]
        new_lo = WHEEL_LONG_LAG - WHEEL_SHORT_LAG      # x_{n+j-64} is word j + 63
        mix_lo = WHEEL_LONG_LAG - WHEEL_OUTPUT_LAG     # x_{n+j-126} is word j + 1
        with m.If(self.load):
            m.d.sync += [segment.eq(source) for segment, source in zip(chain, chain_in)]
        for w in range(lay.wheels):
            x = words[w]
            new = [(x[j] + x[j + new_lo])[:k] for j in range(g)]
            for j in range(g):
                m.d.comb += self.values[w * g + j].eq(new[j] ^ x[j + mix_lo])
            with m.If(self.advance | seed_shift):
                m.d.sync += [x[i].eq(x[i + g]) for i in range(shifted)]
            with m.If(self.advance):
                m.d.sync += [x[shifted + j].eq(new[j]) for j in range(g)]
        return m
