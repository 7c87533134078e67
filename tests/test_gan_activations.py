"""The GAN engine's activation memories: both layouts, in Amaranth's simulator."""

import pytest
from amaranth.sim import Simulator

from bitspin.hw.gan.activations import ActivationMemories
from bitspin.hw.gan.architecture import preset
from bitspin.hw.gan.plan import EngineParams, plan_engine
from bitspin.hw.gan.sequencer import Source


def run(plan, steps):
    """Each step: (writes {(dest, addr): word} this clock, reads (source, addr, last_addr),
    hand_over); returns the (read_data, last_read_data) of each step's reads."""
    dut = ActivationMemories(plan)
    seen = []

    async def bench(ctx):
        for write, (source, addr, last_addr), hand in steps:
            (dest, waddr), word = next(iter(write.items())) if write else ((Source.A, 0), 0)
            # Every image's copy of the addresses and the destination.
            for i in range(plan.params.batch):
                ctx.set(dut.write_dest[i], dest)
                ctx.set(dut.write_addr[i], waddr)
                ctx.set(dut.read_addr[i], addr)
            ctx.set(dut.write_data, word)
            ctx.set(dut.write_enable, -1 if write else 0)
            ctx.set(dut.read_source, source)
            ctx.set(dut.last_read_addr, last_addr)
            ctx.set(dut.hand_over, hand)
            await ctx.tick()
            seen.append((ctx.get(dut.read_data), ctx.get(dut.last_read_data)))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return seen


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_layers_read_what_the_previous_layer_wrote(batch, rng):
    plan = plan_engine(preset("small"), EngineParams(lanes=2, chunk_bits=8, batch=batch))
    word = batch * 8
    values = [int(v) for v in rng.integers(0, 1 << word, 4)]
    # Overlapped, "a" and "b" addresses include their bases in the one scratch memory.
    final = Source.D if plan.overlaps_last else Source.A
    nothing = (Source.A, 0, 0)
    steps = [({(Source.A, 3): values[0]}, nothing, 0),
             ({(Source.B, 4): values[1]}, nothing, 0),
             ({(final, 5): values[2]}, nothing, 0),
             ({}, (Source.A, 3, 5), 0),
             ({}, (Source.B, 4, 5), 0)]
    seen = run(plan, steps)
    assert seen[3][0] == values[0] and seen[4][0] == values[1]
    if plan.overlaps_last:
        # The last layer reads the half that the final layer filled before the hand-over.
        steps += [({}, nothing, 1), ({(final, 5): values[3]}, nothing, 0),
                  ({}, (Source.A, 0, 5), 0), ({}, nothing, 1), ({}, (Source.A, 0, 5), 0)]
        seen = run(plan, steps)
        assert seen[7][1] == values[2] and seen[9][1] == values[3]
    else:
        assert seen[3][1] == seen[3][0]        # one read port serves both


def test_rejects_a_wrong_plan():
    with pytest.raises(TypeError, match="EnginePlan"):
        ActivationMemories(object())
