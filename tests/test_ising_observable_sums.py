"""ObservableSums (hw/ising/observable_sums.py) against sums_spec's golden sums and decimation,
under Amaranth's simulator: random records at the lattice's extremes, random `every`, random
back-pressure, and a clear between two runs."""

import pytest

from bitspin.hw.ising.observable_sums import ObservableSums
from bitspin.hw.ising.params import IsingParams
from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, decimate, observable_sums
from tests.pysim import run_pysim


@pytest.mark.parametrize("size", [8, 1024])
def test_sums_and_decimated_stream_equal_the_spec(size, rng):
    n = size * size
    dut = ObservableSums(IsingParams(size, 4))
    runs = []
    for _ in range(2):
        count = int(rng.integers(1, 40))
        ms = [int(v) for v in rng.integers(-n, n + 1, count)]
        bs = [int(v) for v in rng.integers(-2 * n, 2 * n + 1, count)]
        ms[0], bs[0] = (n, 2 * n) if rng.random() < 0.5 else (-n, -2 * n)   # the extremes
        runs.append((ms, bs, int(rng.choice([0, 1, 2, 3, 7]))))
    seen = []

    async def bench(ctx):
        for ms, bs, every in runs:
            ctx.set(dut.every, every)
            ctx.set(dut.clear, 1)
            await ctx.tick()
            ctx.set(dut.clear, 0)
            forwarded, i = [], 0
            while i < len(ms):
                ready = int(rng.random() < 0.6)
                ctx.set(dut.observables.ready, ready)
                valid = int(rng.random() < 0.7)
                ctx.set(dut.records.valid, valid)
                ctx.set(dut.records.payload, {"magnetization": ms[i], "bond_sum": bs[i]})
                if ctx.get(dut.observables.valid) and ready:
                    out = ctx.get(dut.observables.payload)
                    forwarded.append((out.magnetization, out.bond_sum))
                if valid and ctx.get(dut.records.ready):
                    i += 1
                await ctx.tick()
            ctx.set(dut.records.valid, 0)
            await ctx.tick().repeat(6)
            sums = {name: ctx.get(dut.sums[k]) for k, name in enumerate(OBSERVABLE_SUMS)}
            seen.append((sums, forwarded))

    run_pysim(dut, bench)
    for (ms, bs, every), (sums, forwarded) in zip(runs, seen):
        assert sums == observable_sums(ms, bs)
        assert forwarded == decimate(list(zip(ms, bs)), every)
