"""XnorPopcountArray (hw/gan/xnor_popcount.py) against a count of matches, under Amaranth's simulator."""

import numpy as np
import pytest

from bitspin.hw.gan.xnor_popcount import XnorPopcountArray
from tests.pysim import run_pysim


def _pack(bits) -> int:
    return sum(int(b) << i for i, b in enumerate(bits))


@pytest.mark.parametrize("lanes,chunk_bits,label_bits", [(1, 8, 1), (4, 16, 1), (8, 32, 4)])
def test_each_lane_thresholds_the_sum_of_its_chunks(lanes, chunk_bits, label_bits, rng):
    acc_bits = 12
    chunks = int(rng.integers(1, 5))
    groups = 6
    dut = XnorPopcountArray(lanes, chunk_bits, acc_bits, label_bits)
    # per group: (chunks of (a, correction, w[lanes]), label per lane, add_label, tau, flip)
    plan = []
    for _ in range(groups):
        data = [(rng.integers(0, 2, chunk_bits), int(rng.integers(0, 2 * chunk_bits + 1)),
                 rng.integers(0, 2, (lanes, chunk_bits))) for _ in range(chunks)]
        if label_bits == 1:
            labels = rng.integers(0, 2, lanes)
        else:
            labels = rng.integers(-(1 << (label_bits - 1)), 1 << (label_bits - 1), lanes)
        plan.append((data, labels, bool(rng.integers(0, 2)),
                     rng.integers(-40, 40, lanes), rng.integers(0, 2, lanes)))
    expected = []
    for data, labels, add_label, tau, flip in plan:
        total = np.zeros(lanes, dtype=int)
        for a, correction, w in data:
            total += 2 * (a == w).sum(axis=1) - correction
        if add_label:
            total += np.where(labels == 1, 1, -1) if label_bits == 1 else labels
        expected.append([int(t <= tau[i]) if flip[i] else int(t >= tau[i])
                         for i, t in enumerate(total)])
    seen = []

    async def driver(ctx):
        for data, labels, add_label, tau, flip in plan:
            stored = tau + flip                 # a flipped lane's acc <= tau is acc < tau + 1
            ctx.set(dut.thresholds, sum(((int(stored[i]) & ((1 << acc_bits) - 1)) << 1
                                         | int(flip[i]))
                                        << (i * (acc_bits + 1)) for i in range(lanes)))
            ctx.set(dut.labels, sum((int(labels[i]) & ((1 << label_bits) - 1))
                                    << (i * label_bits) for i in range(lanes)))
            for n, (a, correction, w) in enumerate(data):
                ctx.set(dut.valid, 1)
                ctx.set(dut.first, n == 0)
                ctx.set(dut.last, n == len(data) - 1)
                ctx.set(dut.add_label, add_label and n == 0)
                ctx.set(dut.activations, _pack(a))
                ctx.set(dut.correction, correction)
                ctx.set(dut.weights, _pack(w.reshape(-1)))
                await ctx.tick()
            ctx.set(dut.valid, 0)
            await ctx.tick()          # a bubble between groups must not disturb anything
        for _ in range(4):
            await ctx.tick()

    async def monitor(ctx):
        async for _, _, valid, result in ctx.tick().sample(dut.result_valid, dut.result):
            if valid:
                seen.append([(result >> i) & 1 for i in range(lanes)])
            if len(seen) == groups:
                return

    run_pysim(dut, driver, monitor)
    assert seen == expected
