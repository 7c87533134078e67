"""popcount, chunked, pipelined_sum and delayed (hw/ising/popcount.py), under Amaranth's simulator."""

import pytest
from amaranth import Elaboratable, Module, Signal

from bitspin.hw.ising.popcount import chunked, delayed, pipelined_sum, popcount
from tests.pysim import run_pysim


class _Sums(Elaboratable):
    """The sum of ``count`` inputs through pipelined_sum, the pop-count of their bits by chunks,
    and a delay line as long as the tree."""

    def __init__(self, count: int, width: int, fan_in: int):
        self.terms = [Signal(width, name=f"term{i}") for i in range(count)]
        self.fan_in = fan_in
        self.total = self.stages = self.ones = self.late = None

    def elaborate(self, platform):
        m = Module()
        self.total, self.stages = pipelined_sum(m, self.terms, self.fan_in, "sum")
        bits = self.terms[0]
        self.ones = sum(popcount(chunk) for chunk in chunked(bits, 3))
        self.late = ([bits] + delayed(m, bits, self.stages, "late"))[-1]
        return m


@pytest.mark.parametrize("count,fan_in", [(5, 2), (16, 4), (17, 4), (9, 3)])
def test_the_tree_sums_exactly_with_its_reported_latency(count, fan_in, rng):
    dut = _Sums(count, 7, fan_in)
    vectors = rng.integers(0, 1 << 7, size=(40, count))
    seen = []

    async def bench(ctx):
        for row in vectors:
            for term, value in zip(dut.terms, row):
                ctx.set(term, int(value))
            assert ctx.get(dut.ones) == bin(int(row[0])).count("1")
            await ctx.tick()
            seen.append((ctx.get(dut.total), ctx.get(dut.late)))

    run_pysim(dut, bench)
    assert dut.stages == _levels(count, fan_in)
    lag = dut.stages - 1               # one clock has passed at each sample
    for n in range(lag, len(vectors)):
        total, late = seen[n]
        assert total == int(vectors[n - lag].sum())
        assert late == int(vectors[n - lag][0])


def test_a_single_term_is_its_own_sum_with_no_register():
    term = Signal(5)
    total, stages = pipelined_sum(Module(), [term], 4, "sum")
    assert total is term and stages == 0


def _levels(count: int, fan_in: int) -> int:
    levels = 0
    while count > 1:
        count = -(-count // fan_in)
        levels += 1
    return levels
