"""The binary weight memory in slices and banks: every word read back two clocks after its
address, with and without banks, before and after a load through the port."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from amaranth import Cat, Module, Signal
from amaranth.sim import Simulator

from bitspin.hw.gan.weight_memory import binary_weights, weight_slices

WIDTH = 40          # three slices of 18, 18 and 4 bits


def weight_reader(words, bank_depth, loadable, single_port=False):
    """A module reading ``words`` through binary_weights; its address copies are one register."""
    m = Module()
    addr_width = max(1, (len(words) - 1).bit_length())
    slices = len(weight_slices(WIDTH))
    addr = Signal(addr_width)
    port = SimpleNamespace(addr=addr, write=Signal(), load_addr=Signal(addr_width),
                           load_data=Signal(WIDTH))
    load = (port.write, port.load_addr, port.load_data) if loadable else None
    port.data = binary_weights(m, SimpleNamespace(weights=list(words)), Cat(*[addr] * slices),
                               addr_width, WIDTH, load, bank_depth=bank_depth,
                               single_port=single_port)
    return m, port


@pytest.mark.parametrize("loadable, single_port", [(False, False), (True, False), (True, True)])
def test_every_word_read_back_in_two_clocks(loadable, single_port, rng):
    depth = int(rng.integers(2, 40))
    bank_depth = None if single_port else int(rng.choice([1, 2, 4, 8, 64]))
    words = [int(w) for w in rng.integers(0, 1 << WIDTH, depth, dtype=np.uint64)]
    new = [int(w) for w in rng.integers(0, 1 << WIDTH, depth, dtype=np.uint64)]
    m, port = weight_reader(words, bank_depth, loadable, single_port)
    order = rng.permutation(depth)

    async def bench(ctx):
        async def read_all(expected):
            seen = []
            for a in [*order, 0]:
                ctx.set(port.addr, int(a))
                await ctx.tick()
                seen.append(ctx.get(port.data))
            # An address set before clock edge k is read at k and registered at k + 1.
            assert seen[1:] == [expected[a] for a in order], (depth, bank_depth)
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
    with pytest.raises(ValueError, match="single-port"):
        weight_reader([1, 2, 3], 2, True, single_port=True)
