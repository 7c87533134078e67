"""The lean lanes' random numbers in gateware: the lagged-Fibonacci wheels of ``wheel_spec``."""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..replica import REPLICA_TAG, registered_tree
from .wheel_adder import WheelAdder
from .wheel_spec import WHEEL_ADD_LAG, WHEEL_LONG_LAG, WHEEL_MIX_LAG, WheelLayout

__all__ = ["WheelRngBank"]


class WheelRngBank(wiring.Component):
    """P / G wheels giving every lane a fresh k-bit number each clock that ``advance`` is high.

    ``values[i]`` is lane i's number for the current state, consumed in the same clock as
    ``advance`` (as :class:`.lane_rng.LaneRng`). It is a state word, the newest: the sum that
    the advance before made, so a lane's register takes a flip-flop's output, not an adder's.

    Seeding (``wheel_spec``): pulse ``seed_start`` with the seeder's start, then pulse ``load``
    once per SplitMix64 output with ``load_value`` (the seeder holds it),
    ``WheelLayout.seed_outputs`` times, at least two clocks apart. The bank clears its state,
    makes each round's injecting advance and the warm-up advances itself; ``busy`` is high from
    the clock after ``seed_start`` until the last warm-up advance is done.

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
                          "seed_start": In(1), "busy": Out(1),
                          "values": Out(data.ArrayLayout(k, lanes))})

    def elaborate(self, platform):
        m = Module()
        lay, k, copies = self.layout, self.k, self.copies
        P, g, c = lay.lanes, lay.wheel_lanes, lay.segment_bits
        shifted = WHEEL_LONG_LAG - g
        # State is reset-less: seeding clears it.
        words = [[Signal(k, name=f"wheel{w}_x{i}", reset_less=True)
                  for i in range(WHEEL_LONG_LAG)] for w in range(lay.wheels)]

        def copy_of(w, i):
            """The enable copy for word i of wheel w: the copy of the lane it sits beside."""
            return (w * g + i % g) * copies // P

        # Rounds: every ``segments`` loads fill the staging register; a clock later it is
        # taken into the injection register, which is zero except in the injecting advance.
        round_loads = Signal(range(max(2, lay.segments)), reset_less=True)
        rounds = Signal(range(lay.rounds + 1), reset_less=True)
        round_done = Signal()
        with m.If(self.seed_start):
            m.d.sync += [round_loads.eq(0), rounds.eq(0)]
        with m.Elif(self.load[0]):
            with m.If(round_loads == lay.segments - 1):
                m.d.sync += [round_loads.eq(0), rounds.eq(rounds + 1)]
                m.d.comb += round_done.eq(1)
            with m.Else():
                m.d.sync += round_loads.eq(round_loads + 1)
        # A clear per lane, through hubs (two clocks late, long before the first round's
        # injection): a copy per enable group drove the sync resets of its lanes' words
        # wherever they were placed (run 28, seed 1: 11.0 ns of routing).
        clear = registered_tree(m, self.seed_start, P, "wheel_clear", reset_less=True)
        # Through hubs: one round-done LUT driving every copy was run 32's critical path on
        # seed 1 (8.6 ns of routing). Two clocks late, so loads must come two clocks apart.
        take = registered_tree(m, round_done, copies, "wheel_take", reset_less=True)
        # Each copy of ``take``, a clock later (a replica per copy, so no net joins the groups).
        inject = [Signal(name=f"wheel_inject{REPLICA_TAG}{n}", reset_less=True)
                  for n in range(copies)]
        m.d.sync += [mine.eq(taken) for mine, taken in zip(inject, take)]

        # Warm-up: after the last round's injecting advance, ``warmup_advances`` plain ones and
        # one more. The lanes read the newest words, the sums of the advance before (no adder
        # between a state word and a lane's register), so the first draw is that extra sum.
        warmup = lay.warmup_advances + 1
        last_inject = Signal(reset_less=True)
        m.d.sync += last_inject.eq(take[0] & (rounds == lay.rounds))
        warm = Signal(range(warmup + 1))
        with m.If(self.seed_start):
            m.d.sync += warm.eq(0)
        with m.Elif(last_inject):
            m.d.sync += warm.eq(warmup)
        with m.Elif(warm != 0):
            m.d.sync += warm.eq(warm - 1)
        # The copies come from one register of ``warm != 0``, through hubs: the compare in front
        # of each copy was the critical path of run 25, seed 2 (3.7 ns of routing after four
        # LUT levels). Each copy enables exactly as many advances, three clocks later.
        warm_nonzero = Signal(reset_less=True)
        m.d.sync += warm_nonzero.eq(warm != 0)
        warming = registered_tree(m, warm_nonzero, copies, "wheel_warming", reset_less=True)
        seeding = Signal()
        with m.If(self.seed_start):
            m.d.sync += seeding.eq(1)
        with m.Elif(warm == 1):
            m.d.sync += seeding.eq(0)
        m.d.comb += self.busy.eq(seeding | warming[0])

        # The staging chain (segment t takes segment t + 1; the last takes the seeder's value,
        # OR 1) and the injection register: flip-flops with enables and sync resets, no LUTs.
        staging = Signal(P, reset_less=True)
        injection = Signal(P, reset_less=True)
        value = self.load_value | 1
        for t in range(lay.segments):
            bits = slice(t * c, (t + 1) * c)
            source = staging[(t + 1) * c:(t + 2) * c] if t + 1 < lay.segments else value[:c]
            with m.If(self.load[(t * c) * copies // P]):
                m.d.sync += staging[bits].eq(source)
        for i in range(P):
            m.d.sync += injection[i].eq(Mux(take[i * copies // P], staging[i], 0))

        add_lo = WHEEL_LONG_LAG - WHEEL_ADD_LAG        # x_{n+j-75} is word j + 52
        mix_lo = WHEEL_LONG_LAG - WHEEL_MIX_LAG        # x_{n+j-125} is word j + 2
        for w in range(lay.wheels):
            x = words[w]
            new = []
            for j in range(g):
                # The injected bit is the adder's carry in (free on ECP5: the chain's feed-in).
                m.submodules[f"wheel{w}_adder{j}"] = adder = WheelAdder(k)
                m.d.comb += [adder.a.eq(x[j + add_lo]), adder.b.eq(x[j + mix_lo]),
                             adder.c.eq(x[j]), adder.carry.eq(injection[w * g + j]),
                             self.values[w * g + j].eq(x[shifted + j])]
                new.append(adder.total)
            for i in range(WHEEL_LONG_LAG):
                n = copy_of(w, i)
                with m.If(clear[w * g + i % g]):
                    m.d.sync += x[i].eq(0)
                with m.Elif(self.advance[n] | inject[n] | warming[n]):
                    m.d.sync += x[i].eq(x[i + g] if i < shifted else new[i - shifted])
        return m
