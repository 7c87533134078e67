"""The lean lanes' random numbers in gateware: the lagged-Fibonacci wheels of ``wheel_spec``."""

from amaranth import Cat, Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..replica import registered_copies
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

    ``advance`` and ``load`` come as ``copies`` equal registered copies (the core's per-lane-group
    replicas): the words of lanes i take copy i·copies // P, so that no enable net spans the
    wheels (one net to every state flip-flop was a 10 ns route at P = 256).
    """

    def __init__(self, lanes: int, k: int, copies: int = 1):
        self.layout = WheelLayout(lanes, k)
        if not 1 <= copies <= lanes:
            raise ValueError(f"copies must be from 1 to {lanes}, not {copies}")
        self.k, self.copies = k, copies
        super().__init__({"advance": In(copies), "load": In(copies), "load_value": In(64),
                          "seed_start": In(1),
                          "values": Out(data.ArrayLayout(k, lanes))})

    def elaborate(self, platform):
        m = Module()
        lay, k, copies = self.layout, self.k, self.copies
        g, c = lay.wheel_lanes, lay.segment_bits
        shifted = WHEEL_LONG_LAG - g
        # State is reset-less: it is seeded before use, like the xoroshiro lanes.
        words = [[Signal(k, name=f"wheel{w}_x{i}", reset_less=True)
                  for i in range(WHEEL_LONG_LAG)] for w in range(lay.wheels)]

        def copy_of(w, i):
            """The enable copy for word i of wheel w: the copy of the lane it sits beside."""
            return (w * g + i % g) * copies // lay.lanes

        # Seed shifts between fills: after every wheels·segments loads, except the last fill.
        per_fill = lay.wheels * lay.segments
        loads = Signal(range(per_fill + 1), reset_less=True)
        fills = Signal(range(lay.fills + 1), reset_less=True)
        shift_next = Signal()
        with m.If(self.seed_start):
            m.d.sync += [loads.eq(0), fills.eq(0)]
        with m.Elif(self.load[0]):
            with m.If(loads == per_fill - 1):
                m.d.sync += [loads.eq(0), fills.eq(fills + 1)]
                m.d.comb += shift_next.eq(fills != lay.fills - 1)
            with m.Else():
                m.d.sync += loads.eq(loads + 1)
        seed_shift = registered_copies(m, shift_next, copies, "wheel_seed_shift",
                                       reset_less=True)

        # The chain, wheel by wheel: segment t of wheel w takes the next segment; the last
        # segment of the last wheel takes the seeder's value (OR 1: an odd first word).
        value = self.load_value | 1
        for w in range(lay.wheels):
            region = Cat(*words[w][shifted:])
            for t in range(lay.segments):
                bits = slice(t * c, (t + 1) * c)
                if t + 1 < lay.segments:
                    source = region[(t + 1) * c:(t + 2) * c]
                elif w + 1 < lay.wheels:
                    source = Cat(*words[w + 1][shifted:])[:c]
                else:
                    source = value[:c]
                enable = self.load[copy_of(w, shifted + t * c // k)]
                with m.If(enable):
                    m.d.sync += region[bits].eq(source)

        new_lo = WHEEL_LONG_LAG - WHEEL_SHORT_LAG      # x_{n+j-64} is word j + 63
        mix_lo = WHEEL_LONG_LAG - WHEEL_OUTPUT_LAG     # x_{n+j-126} is word j + 1
        for w in range(lay.wheels):
            x = words[w]
            new = [(x[j] + x[j + new_lo])[:k] for j in range(g)]
            for j in range(g):
                m.d.comb += self.values[w * g + j].eq(new[j] ^ x[j + mix_lo])
            for i in range(shifted):
                n = copy_of(w, i)
                with m.If(self.advance[n] | seed_shift[n]):
                    m.d.sync += x[i].eq(x[i + g])
            for j in range(g):
                with m.If(self.advance[copy_of(w, shifted + j)]):
                    m.d.sync += x[shifted + j].eq(new[j])
        return m
