"""The metropolis-h0 lanes' compare (hw/ising/threshold_compare.py): the plain logic against
Python, and the hand-placed ECP5 carry chain proved equal to the plain logic (``ecp5_proof``)."""

import numpy as np
import pytest
from amaranth import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from bitspin.hw.ising.threshold_compare import ThresholdCompare
from tests.ecp5_proof import prove_equal_on_ecp5


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
    prove_equal_on_ecp5(lambda: _ValidThresholds(k), tmp_path)


def test_a_broken_chain_is_caught(tmp_path, monkeypatch):
    """The proof is not vacuous: a wrong propagate function fails it."""
    from bitspin.hw.ising import threshold_compare
    monkeypatch.setattr(threshold_compare, "bit_init", lambda: 0x99a4)
    with pytest.raises(AssertionError):
        test_the_ecp5_chain_is_the_plain_compare(8, tmp_path)
