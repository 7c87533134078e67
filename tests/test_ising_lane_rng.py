"""LaneRng (hw/ising/lane_rng.py) against the golden xoroshiro64+ lane model, under Amaranth's simulator."""

import numpy as np
import pytest

from bitspin.hw.ising.lane_rng import LaneRng
from bitspin.sw.ising.rng import LaneRngs
from tests.pysim import run_pysim


@pytest.mark.parametrize("k", [8, 16, 32])
def test_the_lane_draws_the_golden_stream_and_holds_when_not_advanced(k, rng):
    state = int(rng.integers(1, 1 << 63)) | 1
    golden = LaneRngs(0, 1, k)
    golden.s0 = np.array([state & 0xFFFFFFFF], dtype=np.uint32)
    golden.s1 = np.array([state >> 32], dtype=np.uint32)
    advance = rng.integers(0, 2, size=200)
    dut = LaneRng(k)
    seen, expected = [], []

    async def bench(ctx):
        ctx.set(dut.load_state, state)
        ctx.set(dut.load, 1)
        await ctx.tick()
        ctx.set(dut.load, 0)
        assert ctx.get(dut.state) == state
        for step in advance:
            ctx.set(dut.advance, int(step))
            seen.append(ctx.get(dut.value))
            expected.append(int(golden.draw()[0]) if step else
                            ((int(golden.s0[0]) + int(golden.s1[0])) & 0xFFFFFFFF) >> (32 - k))
            await ctx.tick()

    run_pysim(dut, bench)
    assert seen == expected
