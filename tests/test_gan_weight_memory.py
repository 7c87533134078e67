"""The binary weight memory in slices and banks: every word read back three clocks after its
early address, with and without banks, before and after a load through the port."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from bitspin.hw.gan.weight_memory import binary_weights

WIDTH = 40          # slices of 18, 18 and 4 bits


def weight_reader(words, bank_depth, loadable):
    """A module reading ``words`` through binary_weights."""
    m = Module()
    addr_width = max(1, (len(words) - 1).bit_length())
    addr = Signal(addr_width)
    port = SimpleNamespace(addr=addr, write=Signal(), load_addr=Signal(addr_width),
                           load_data=Signal(WIDTH))
    load = (port.write, port.load_addr, port.load_data) if loadable else None
    port.data = binary_weights(m, SimpleNamespace(weights=list(words)), addr, WIDTH, load,
                               bank_depth=bank_depth)
    return m, port


@pytest.mark.parametrize("loadable, banked", [(False, True), (True, True), (True, False)])
def test_every_word_read_back_in_three_clocks(loadable, banked, rng):
    depth = int(rng.integers(2, 40))
    bank_depth = int(rng.choice([1, 2, 4, 8, 64])) if banked else None
    words = [int(w) for w in rng.integers(0, 1 << WIDTH, depth, dtype=np.uint64)]
    new = [int(w) for w in rng.integers(0, 1 << WIDTH, depth, dtype=np.uint64)]
    m, port = weight_reader(words, bank_depth, loadable)
    order = rng.permutation(depth)

    async def bench(ctx):
        async def read_all(expected):
            seen = []
            for a in [*order, 0, 0]:
                ctx.set(port.addr, int(a))
                await ctx.tick()
                seen.append(ctx.get(port.data))
            # An early address set before clock edge k is registered at k, read at k + 1 and
            # registered beside the memory at k + 2.
            assert seen[2:] == [expected[a] for a in order], (depth, bank_depth)
        await read_all(words)
        if loadable:
            for a in rng.permutation(depth):
                ctx.set(port.write, 1)
                ctx.set(port.load_addr, int(a))
                ctx.set(port.load_data, new[a])
                await ctx.tick()
            ctx.set(port.write, 0)
            await ctx.tick().repeat(2)          # the write lands a clock late
            await read_all(new)

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_bank_depth_is_checked():
    for bad in (0, 3, 2.0):
        with pytest.raises(ValueError, match="bank_depth"):
            weight_reader([1, 2, 3], bad, False)
