"""The Ising core's counts: up spins and agreeing bonds of measured steps, and accepted flips."""

from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .params import IsingParams
from .popcount import chunked, delayed, pipelined_sum, popcount
from .timing import POPCOUNT_CHUNK, SUM_FAN_IN, reset_hold

__all__ = ["SweepCounts", "tree_stages"]


def tree_stages(terms: int, fan_in: int = SUM_FAN_IN) -> int:
    """Registers that ``pipelined_sum`` puts between ``terms`` values and their total."""
    stages = 0
    while terms > 1:
        terms, stages = -(-terms // fan_in), stages + 1
    return stages


class SweepCounts(wiring.Component):
    """Counts a step's bits through pop-counts and pipelined sums, then accumulates them.

    Each clock, stage A's registers give ``ups_bits`` (the 2P centre spins of the step),
    ``agree_bits`` (its 4P right and upward bonds, 1 where they agree) and ``measure`` (the
    step belongs to a measuring pass). A clock later the bits are pop-counted in chunks of
    ``POPCOUNT_CHUNK``; the chunks are summed through trees of ``SUM_FAN_IN``-input adders
    (``count_stages`` clocks) and added to ``ups`` and ``agree`` when measured. ``clear``
    zeroes them. ``counting`` is high while a measured step is anywhere from ``measure`` to
    the accumulators: the core emits a record only once it is low.

    ``flip_bits`` (stage B's accepted flips, zero for invalid steps) are pop-counted and summed
    the same way into ``flips``, which only the domain reset zeroes. A flip reaches ``flips``
    ``flip_latency`` clocks after it is given.

    Every register is reset-less: the accumulators are cleared by a local copy of the reset
    (``reset_hold``) that lasts until the pipelines in front of them have flushed, and the
    pipelines' stale values after a reset are ones that no ``clear``ed count will see (``ups``
    and ``agree`` are cleared at each measured pass's start, long after the flush).

    A multi-operand sum in one stage was 9–10 LUT levels on ECP5 (Yosys maps it to a tree of
    LUT full adders) and the critical path at L=256, P=256; the trees' latency costs nothing,
    because the record and the end of an operation wait for ``counting``.
    """

    def __init__(self, params: IsingParams):
        if not isinstance(params, IsingParams):
            raise TypeError(f"params must be an IsingParams, not {params!r}")
        self.params = params
        P, n = params.lanes, params.size ** 2
        chunks = lambda bits: -(-bits // POPCOUNT_CHUNK)        # noqa: E731
        self.count_stages = max(tree_stages(chunks(2 * P)), tree_stages(chunks(4 * P)))
        self.flip_stages = tree_stages(chunks(P))
        self.flip_latency = self.flip_stages + 3
        super().__init__({
            "ups_bits": In(2 * P), "agree_bits": In(4 * P), "measure": In(1),
            "clear": In(1), "flip_bits": In(P),
            "ups": Out(range(n + 1)), "agree": Out(range(2 * n + 1)), "counting": Out(1),
            "flips": Out(48),
        })

    def elaborate(self, platform):
        m = Module()
        ups_chunks = chunked(self.ups_bits, POPCOUNT_CHUNK)
        agree_chunks = chunked(self.agree_bits, POPCOUNT_CHUNK)
        ups_parts = [Signal(range(len(c) + 1), name=f"t_ups{j}", reset_less=True)
                     for j, c in enumerate(ups_chunks)]
        agree_parts = [Signal(range(len(c) + 1), name=f"t_agree{j}", reset_less=True)
                       for j, c in enumerate(agree_chunks)]
        t_measure = Signal(reset_less=True)
        m.d.sync += [
            t_measure.eq(self.measure),
            *[part.eq(popcount(c)) for part, c in zip(ups_parts, ups_chunks)],
            *[part.eq(popcount(c)) for part, c in zip(agree_parts, agree_chunks)],
        ]
        ups_total, ups_stages = pipelined_sum(m, ups_parts, SUM_FAN_IN, "ups_sum")
        agree_total, agree_stages = pipelined_sum(m, agree_parts, SUM_FAN_IN, "agree_sum")
        stages = self.count_stages
        assert max(ups_stages, agree_stages) == stages
        ups_count = ([ups_total] + delayed(m, ups_total, stages - ups_stages, "ups_late",
                                           reset_less=True))[-1]
        agree_count = ([agree_total] + delayed(m, agree_total, stages - agree_stages,
                                               "agree_late", reset_less=True))[-1]
        measure_line = delayed(m, t_measure, stages, "counting", reset_less=True)  # beside trees
        counted = ([t_measure] + measure_line)[-1]
        hold = reset_hold(m, "counts_reset", self.flip_latency + 3)   # + stages T and B
        ups, agree, flips = (Signal.like(self.ups, reset_less=True),
                             Signal.like(self.agree, reset_less=True),
                             Signal.like(self.flips, reset_less=True))
        m.d.comb += [self.ups.eq(ups), self.agree.eq(agree), self.flips.eq(flips)]
        with m.If(self.clear | hold):
            m.d.sync += [ups.eq(0), agree.eq(0)]
        with m.Elif(counted):
            m.d.sync += [ups.eq(ups + ups_count), agree.eq(agree + agree_count)]
        m.d.comb += self.counting.eq(Cat(self.measure, t_measure, *measure_line).any())

        # The flip bits are registered on arrival, beside the trees: stage B's register read
        # them straight from the lanes' compares, and the placer put it by the trees, 3.6 ns
        # of routing away from a compare (run 25, seed 1).
        flip_bits = Signal.like(self.flip_bits, reset_less=True)
        m.d.sync += flip_bits.eq(self.flip_bits)
        flip_chunks = chunked(flip_bits, POPCOUNT_CHUNK)
        flip_parts = [Signal(range(len(c) + 1), name=f"c_flips{j}", reset_less=True)
                      for j, c in enumerate(flip_chunks)]
        m.d.sync += [part.eq(popcount(c)) for part, c in zip(flip_parts, flip_chunks)]
        flip_total, flip_stages = pipelined_sum(m, flip_parts, SUM_FAN_IN, "flip_sum")
        assert flip_stages == self.flip_stages
        with m.If(hold):
            m.d.sync += flips.eq(0)
        with m.Else():
            m.d.sync += flips.eq(flips + flip_total)
        return m
