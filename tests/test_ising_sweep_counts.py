"""SweepCounts (hw/ising/sweep_counts.py) under Amaranth's simulator: random steps, measured or
not, with clears between passes; the accumulated counts, ``counting`` and the flip count against
pop-counts in Python, at the documented latencies."""

import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.hw.ising.sweep_counts import SweepCounts, tree_stages
from tests.pysim import random_bits, run_pysim


def test_tree_stages():
    assert [tree_stages(n, 4) for n in (1, 2, 4, 5, 16, 17, 64)] == [0, 1, 1, 2, 2, 3, 3]


@pytest.mark.parametrize("size,lanes", [(8, 4), (16, 16), (64, 128)])
def test_counts_equal_the_popcounts(size, lanes, rng):
    dut = SweepCounts(IsingParams(size, lanes))
    P = lanes
    bits = lambda n: random_bits(rng, n)  # noqa: E731
    passes = [[(bits(2 * P), bits(4 * P), bool(rng.random() < 0.7), bits(P))
               for _ in range(int(rng.integers(1, 12)))] for _ in range(3)]

    async def bench(ctx):
        flips = 0
        for steps in passes:
            ctx.set(dut.clear, 1)
            await ctx.tick()
            ctx.set(dut.clear, 0)
            ups = agree = 0
            for ups_bits, agree_bits, measured, flip_bits in steps:
                ctx.set(dut.ups_bits, ups_bits)
                ctx.set(dut.agree_bits, agree_bits)
                ctx.set(dut.measure, measured)
                ctx.set(dut.flip_bits, flip_bits)
                if measured:
                    ups += bin(ups_bits).count("1")
                    agree += bin(agree_bits).count("1")
                    assert ctx.get(dut.counting)
                flips += bin(flip_bits).count("1")
                await ctx.tick()
            ctx.set(dut.measure, 0)
            ctx.set(dut.flip_bits, 0)
            waited = 0
            while ctx.get(dut.counting):
                await ctx.tick()
                waited += 1
            assert waited <= dut.count_stages + 1
            assert (ctx.get(dut.ups), ctx.get(dut.agree)) == (ups, agree)
            await ctx.tick().repeat(dut.flip_latency)
            assert ctx.get(dut.flips) == flips

    run_pysim(dut, bench)
