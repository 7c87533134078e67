"""The wheels' adder (hw/ising/wheel_adder.py): the plain logic against Python, and the
hand-placed ECP5 carry chain proved equal to it (``ecp5_proof``)."""

import pytest
from amaranth.sim import Simulator

from bitspin.hw.ising import wheel_adder
from bitspin.hw.ising.wheel_adder import WheelAdder
from tests.ecp5_proof import prove_equal_on_ecp5


@pytest.mark.parametrize("k", [1, 9, 16, 32])
def test_the_plain_adder_matches_python(k, rng):
    cases = [tuple(int(rng.integers(0, 1 << k)) for _ in range(3)) + (int(rng.integers(0, 2)),)
             for _ in range(200)]
    dut = WheelAdder(k)
    seen = []

    async def bench(ctx):
        for a, b, c, carry in cases:
            for port, value in zip((dut.a, dut.b, dut.c, dut.carry), (a, b, c, carry)):
                ctx.set(port, value)
            seen.append(ctx.get(dut.total))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [(a + (b ^ c) + carry) % (1 << k) for a, b, c, carry in cases]


@pytest.mark.parametrize("k", [1, 2, 12, 16, 32])
def test_the_ecp5_chain_is_the_plain_adder(k, tmp_path):
    prove_equal_on_ecp5(lambda: WheelAdder(k), tmp_path)


def test_a_broken_chain_is_caught(tmp_path, monkeypatch):
    """The proof is not vacuous: a generate of B instead of A fails it."""
    monkeypatch.setattr(wheel_adder, "sum_init", lambda: 0x960C)
    with pytest.raises(AssertionError):
        prove_equal_on_ecp5(lambda: WheelAdder(8), tmp_path)
