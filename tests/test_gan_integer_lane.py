"""IntegerLane (hw/gan/integer_lane.py) against a direct signed ±1 dot product, under Amaranth's simulator."""

import pytest

from bitspin.hw.gan.integer_lane import IntegerLane, total_bits
from tests.pysim import run_pysim


@pytest.mark.parametrize("chunk_bits,weight_bits", [(8, 2), (16, 6), (64, 6), (12, 4)])
def test_the_lane_sums_signed_weights_times_signs_over_chunks(chunk_bits, weight_bits, rng):
    acc_bits = 16
    dut = IntegerLane(chunk_bits, weight_bits, acc_bits)
    low, high = -(1 << (weight_bits - 1)) + 1, 1 << (weight_bits - 1)
    groups = []
    for _ in range(5):
        chunks = [(rng.integers(0, 2, chunk_bits), rng.integers(low, high, chunk_bits))
                  for _ in range(int(rng.integers(1, 4)))]
        groups.append((chunks, int(rng.integers(low, high)), bool(rng.integers(0, 2))))
    expected = []
    for chunks, label, add_label in groups:
        total = sum(int(w[i]) * (1 if a[i] else -1) for a, w in chunks for i in range(chunk_bits))
        expected.append(total + (label if add_label else 0))
    seen = []

    def pack(values, bits):
        return sum((int(v) & ((1 << bits) - 1)) << (i * bits) for i, v in enumerate(values))

    async def driver(ctx):
        for chunks, label, add_label in groups:
            for n, (a, w) in enumerate(chunks):
                ctx.set(dut.valid, 1)
                ctx.set(dut.first, n == 0)
                ctx.set(dut.last, n == len(chunks) - 1)
                ctx.set(dut.add_label, add_label and n == 0)
                ctx.set(dut.label, label)
                ctx.set(dut.activations, pack(a, 1))
                ctx.set(dut.weights, pack(w, weight_bits) | (int(w.sum()) & (
                    (1 << total_bits(chunk_bits, weight_bits)) - 1)) << (chunk_bits * weight_bits))
                await ctx.tick()
        ctx.set(dut.valid, 0)
        for _ in range(5):
            await ctx.tick()

    async def monitor(ctx):
        async for _, _, valid, result in ctx.tick().sample(dut.result_valid, dut.result):
            if valid:
                seen.append(result)

    run_pysim(dut, driver, monitor)
    assert seen == expected


def test_bad_widths_are_refused():
    with pytest.raises(ValueError, match="weight_bits must be an integer >= 2"):
        IntegerLane(8, 1, 16)
