"""SplitMix64Seeder (hw/ising/seeder.py) against the golden SplitMix64, under Amaranth's simulator."""


from bitspin.hw.ising.seeder import SplitMix64Seeder
from bitspin.sw.ising.rng import splitmix64
from tests.pysim import run_pysim


def _run(count: int, seeds: list[int], restart_after: int | None = None) -> list[int]:
    """Start the seeder on each seed in turn (the second ``restart_after`` clocks after the
    first, if given, else when it is idle) and collect every ``value`` it marks valid."""
    dut = SplitMix64Seeder(count)
    values = []

    async def bench(ctx):
        for n, seed in enumerate(seeds):
            ctx.set(dut.seed, seed)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            clocks = 0
            while ctx.get(dut.busy) or ctx.get(dut.valid):
                if ctx.get(dut.valid):
                    values.append(ctx.get(dut.value))
                if restart_after is not None and n == 0 and clocks == restart_after:
                    values.clear()       # what came before the restart does not count
                    break
                await ctx.tick()
                clocks += 1
            assert clocks < 200 * count + 10, "the seeder did not finish"

    run_pysim(dut, bench)
    return values


def _expected(seed: int, count: int) -> list[int]:
    return [z if z else 1 for z in splitmix64(seed, count)]


def test_the_seeder_emits_the_golden_splitmix64_outputs(rng):
    count = int(rng.integers(1, 5))
    seed = int(rng.integers(0, 1 << 63)) << 1 | int(rng.integers(0, 2))
    assert _run(count, [seed]) == _expected(seed, count)


def test_a_start_in_mid_seeding_restarts_it_exactly(rng):
    first, second = (int(s) for s in rng.integers(0, 1 << 62, size=2))
    assert _run(3, [first, second], restart_after=int(rng.integers(1, 300))) == \
        _expected(second, 3)
