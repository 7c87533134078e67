"""LayerSequencer (hw/gan/sequencer.py): the loop nest of a small engine plan, under Amaranth's simulator."""

import pytest

from bitspin.hw.gan.architecture import GanConfig
from bitspin.hw.gan.plan import EngineParams, plan_engine
from bitspin.hw.gan.sequencer import LayerSequencer
from tests.pysim import run_pysim

SMALL = GanConfig(z_dim=8, n_classes=3, fc_widths=(16,), conv_channels=4, base=2,
                  deconv_channels=(4,))


@pytest.mark.parametrize("lanes,chunk_bits", [(2, 8), (4, 8), (8, 16)])
def test_the_sequencer_issues_every_planned_clock_with_addresses_in_range(lanes, chunk_bits):
    plan = plan_engine(SMALL, EngineParams(lanes, chunk_bits))
    dut = LayerSequencer(plan)
    counts = {"valid": 0, "first": 0, "last": 0, "integer": 0, "busy": 0}
    depths = {"weight_addr": plan.weight_depth, "threshold_addr": plan.threshold_depth,
              "label_addr": plan.label_depth, "act_addr": plan.activation_depth,
              "dest_addr": plan.activation_depth}
    out_of_range = []

    async def bench(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for _ in range(plan.batch_cycles() + 50):
            if ctx.get(dut.busy):
                counts["busy"] += 1
            if ctx.get(dut.valid):
                counts["valid"] += 1
                counts["first"] += ctx.get(dut.first)
                counts["last"] += ctx.get(dut.last)
                integer = ctx.get(dut.integer)
                counts["integer"] += integer
                for name, depth in depths.items():
                    if not integer and depth and ctx.get(getattr(dut, name)) >= depth:
                        out_of_range.append((name, ctx.get(getattr(dut, name)), depth))
            await ctx.tick()

    run_pysim(dut, bench)
    assert counts["valid"] == plan.issue_cycles
    assert counts["integer"] == plan.last_layer.issue_cycles
    assert counts["first"] == counts["last"] > 0
    assert counts["busy"] <= plan.batch_cycles()
    assert not out_of_range
