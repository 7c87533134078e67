"""WriteBack (hw/ising/write_back.py) under Amaranth's simulator: random steps of new spins merged
into their groups' words and written a clock after each group's last step, then a host write
and a cold-start write; the port's enable, address and data against a Python merge."""

import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.hw.ising.write_back import WriteBack
from tests.pysim import random_bits, run_pysim


def merged_word(p: IsingParams, base: int, steps) -> int:
    """``base`` with each step's lanes' new spins at their sites (``params`` geometry)."""
    L, P, S = p.size, p.lanes, p.steps_per_group
    word = base
    for s, (new, par) in enumerate(steps):
        for i in range(P):
            if S == 1:
                r, q = divmod(i, L // 2)
                bit = r * L + 2 * q + (par >> i & 1)
            else:
                bit = s * 2 * P + 2 * i + (par >> i & 1)
            word = word & ~(1 << bit) | (new >> i & 1) << bit
    return word


@pytest.mark.parametrize("size,lanes,couplings", [(8, 2, False), (8, 4, True), (16, 16, False),
                                                  (4, 8, True)])
def test_groups_are_merged_and_written(size, lanes, couplings, rng):
    p = IsingParams(size, lanes, couplings=couplings)
    P, S, G, W, MW = p.lanes, p.steps_per_group, p.groups, p.word_bits, p.memory_word_bits
    bits = lambda n: random_bits(rng, n)  # noqa: E731
    groups = [(int(rng.integers(G)), bits(W), [(bits(P), bits(P)) for _ in range(S)])
              for _ in range(3)]
    writes = []

    async def bench(ctx):
        def record():
            if ctx.get(dut.write_en):
                writes.append((ctx.get(dut.wr_en), ctx.get(dut.wr_addr), ctx.get(dut.wr_data)))

        ctx.set(dut.t_valid, 1)       # stage T holds the first step
        await ctx.tick()
        steps = [(g, base, s, new, par) for g, base, group in groups
                 for s, (new, par) in enumerate(group)]
        for n, (g, base, s, new, par) in enumerate(steps):
            ctx.set(dut.g, g)
            ctx.set(dut.s, s)
            ctx.set(dut.base, base)
            ctx.set(dut.new, new)
            ctx.set(dut.par, par)
            ctx.set(dut.store, int(s == S - 1))
            ctx.set(dut.t_valid, int(n + 1 < len(steps)))
            await ctx.tick()
            record()
        ctx.set(dut.store, 0)
        await ctx.tick()
        record()
        # The host's word while idle, then the cold start's, each written a clock later.
        host_addr, host_word = int(rng.integers(G)), bits(MW)
        ctx.set(dut.idle, 1)
        ctx.set(dut.lattice_we, 1)
        ctx.set(dut.lattice_addr, host_addr)
        ctx.set(dut.lattice_wdata, host_word)
        await ctx.tick()
        ctx.set(dut.lattice_we, 0)
        ctx.set(dut.idle, 0)
        record()
        cold_addr = int(rng.integers(G))
        ctx.set(dut.cold_write, 1)
        ctx.set(dut.cold_addr, cold_addr)
        await ctx.tick()
        ctx.set(dut.cold_write, 0)
        record()
        await ctx.tick()
        record()
        expected.extend([(0b111 if couplings else 1, host_addr, host_word),
                         (1, cold_addr, (1 << W) - 1)])

    dut = WriteBack(p)
    expected = [(1, g, merged_word(p, base, group)) for g, base, group in groups]
    run_pysim(dut, bench)
    # The pipeline's and the cold start's writes carry only the spins: the signs' part of the
    # data is the host's register, not written (its enables are low).
    got = [(en, addr, data if en == 0b111 or not couplings else data & ((1 << W) - 1))
           for en, addr, data in writes]
    assert got == expected
