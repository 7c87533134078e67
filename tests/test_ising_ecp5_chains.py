"""The hand-placed ECP5 carry chains of the Ising core: the metropolis-h0 lanes' compare
(hw/ising/threshold_compare.py) and the wheels' adder (hw/ising/wheel_adder.py). Their plain
logic is checked against Python; their ECP5 cells are proved equal to it (``ecp5_proof``)."""

import pytest
from amaranth import Module, Mux

from bitspin.hw.ising import threshold_compare, wheel_adder
from bitspin.hw.ising.threshold_compare import ThresholdCompare
from bitspin.hw.ising.wheel_adder import WheelAdder
from tests.ecp5_proof import prove_equal_on_ecp5
from tests.pysim import comb_outputs


class _ValidThresholds(ThresholdCompare):
    """The compare over its domain: a threshold with its top bit set is 2^k exactly (the host
    never sends more), whatever the low bits of the free inputs."""

    def elaborate(self, platform):
        m = Module()
        m.submodules.compare = compare = ThresholdCompare(self.k, self.hand_placed)
        top = 1 << self.k
        m.d.comb += [compare.rand.eq(self.rand), compare.far.eq(self.far),
                     compare.t_far.eq(Mux(self.t_far[self.k], top, self.t_far)),
                     compare.t_near.eq(Mux(self.t_near[self.k], top, self.t_near)),
                     self.accept.eq(compare.accept)]
        return m


# name: (component of k, module, its INIT function, a wrong INIT for it, the k to prove)
CHAINS = {
    "compare": (lambda k: _ValidThresholds(k, hand_placed=True), threshold_compare, "bit_init",
                0x99a4, (1, 8, 12, 16, 17)),
    "adder": (lambda k: WheelAdder(k, hand_placed=True), wheel_adder, "sum_init", 0x960C,
              (1, 2, 12, 16, 32)),
}


@pytest.mark.parametrize("k", [8, 13, 16])
def test_the_plain_compare_matches_python(k, rng):
    cases = [(int(rng.integers(0, 1 << k)), int(rng.integers(0, 2)),
              int(rng.integers(0, (1 << k) + 1)), int(rng.integers(0, (1 << k) + 1)))
             for _ in range(200)]
    cases += [(r, 1, r + d, 0) for r in (0, 1, (1 << k) - 1) for d in (0, 1)]
    dut = ThresholdCompare(k)
    seen = comb_outputs(dut, (dut.rand, dut.far, dut.t_far, dut.t_near), cases, dut.accept)
    assert seen == [int(r < (tf if far else tn)) for r, far, tf, tn in cases]


@pytest.mark.parametrize("k", [1, 9, 16, 32])
def test_the_plain_adder_matches_python(k, rng):
    cases = [tuple(int(rng.integers(0, 1 << k)) for _ in range(3)) + (int(rng.integers(0, 2)),)
             for _ in range(200)]
    dut = WheelAdder(k)
    seen = comb_outputs(dut, (dut.a, dut.b, dut.c, dut.carry), cases, dut.total)
    assert seen == [(a + (b ^ c) + carry) % (1 << k) for a, b, c, carry in cases]


@pytest.mark.parametrize("name, k", [(name, k) for name, chain in CHAINS.items()
                                     for k in chain[4]])
def test_the_ecp5_chain_is_the_plain_logic(name, k, tmp_path):
    prove_equal_on_ecp5(lambda: CHAINS[name][0](k), tmp_path)


@pytest.mark.parametrize("name", CHAINS)
def test_a_broken_chain_is_caught(name, tmp_path, monkeypatch):
    """The proof is not vacuous: a wrong INIT for the chain's bits fails it."""
    make, module, init, wrong, _ = CHAINS[name]
    monkeypatch.setattr(module, init, lambda: wrong)
    with pytest.raises(AssertionError):
        prove_equal_on_ecp5(lambda: make(8), tmp_path)
