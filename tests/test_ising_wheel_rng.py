"""WheelRngBank (hw/ising/wheel_rng.py) against the golden wheels (sw/ising/wheel_rng.py), under
Amaranth's simulator: seeding by injection from SplitMix64 outputs at random paces, then random
advance patterns."""

import numpy as np
import pytest

from bitspin.hw.ising.wheel_rng import WheelRngBank
from bitspin.hw.ising.wheel_spec import WheelLayout
from bitspin.sw.ising.rng import splitmix64
from bitspin.sw.ising.wheel_rng import WheelRngs
from tests.pysim import run_pysim


@pytest.mark.parametrize("lanes, k, copies", [(1, 8, 1), (4, 12, 1), (8, 16, 2), (64, 16, 16),
                                              (128, 9, 32)])
def test_the_bank_seeds_and_draws_the_golden_streams(lanes, k, copies, rng):
    seed = int(rng.integers(0, 1 << 63))
    golden = WheelRngs(seed, lanes, k)
    layout = WheelLayout(lanes, k)
    outputs = splitmix64(seed, layout.seed_outputs)
    advance = rng.integers(0, 2, size=60)
    dut = WheelRngBank(lanes, k, copies)
    every_copy = (1 << copies) - 1
    seen, expected = [], []

    async def bench(ctx):
        ctx.set(dut.seed_start, 1)
        await ctx.tick()
        ctx.set(dut.seed_start, 0)
        for value in outputs:                 # the seeder's pace: gaps between loads
            ctx.set(dut.load_value, value)
            ctx.set(dut.load, every_copy)
            await ctx.tick()
            ctx.set(dut.load, 0)
            await ctx.tick().repeat(int(rng.integers(1, 4)))
        assert ctx.get(dut.busy)
        clocks = 0
        while ctx.get(dut.busy):
            await ctx.tick()
            clocks += 1
        # The last round's take (through hubs: two clocks) and injection, the warm-up flag's
        # register and its two levels of copies, then the warm-up advances themselves and the
        # one that makes the first draw.
        assert clocks <= layout.warmup_advances + 6
        for step in advance:
            ctx.set(dut.advance, every_copy if step else 0)
            seen.append([int(v) for v in ctx.get(dut.values)])
            expected.append([int(v) for v in (golden.draw() if step else golden.peek())])
            await ctx.tick()

    run_pysim(dut, bench)
    assert seen == expected


def test_the_layout_of_the_default_lean_core():
    layout = WheelLayout(256, 16)
    assert (layout.wheel_lanes, layout.wheels, layout.segments) == (64, 4, 4)
    assert (layout.rounds, layout.warmup_advances) == (32, 512)
    assert layout.seed_outputs == 128          # half of the xoroshiro lanes' 256


def test_the_stream_has_full_period_words_and_balanced_bits():
    draws = WheelRngs(7, 64, 16).draw_many(4000)
    bits = (draws[..., None] >> np.arange(16)) & 1
    assert np.abs(bits.mean() - 0.5) < 0.002
    assert np.abs(bits.mean(axis=(0, 1)) - 0.5).max() < 0.01
