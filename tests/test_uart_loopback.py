"""The UART loopback in both simulators against the NumPy line model, with random parameters."""

import pytest

from bitspin.hw.uart_loopback import UARTLoopback
from bitspin.sim import simulate


def test_loopback_echoes_random_traffic(simulator, rng):
    divisor = int(rng.integers(4, 13))
    count = int(rng.integers(8, 33))
    data = [int(b) for b in rng.integers(0, 256, count)]
    gaps = [int(g) for g in rng.integers(0, 3 * divisor, count)]
    result = simulate(UARTLoopback(divisor, fifo_depth=int(rng.choice([4, 16]))),
                      test_module="bitspin.sim.benches.uart_loopback", simulator=simulator,
                      args={"divisor": divisor, "data": data, "gaps": gaps})
    assert set(result.tests.values()) == {"passed"}
    assert result.outputs["echoed"] == data


@pytest.mark.parametrize("divisor", [0, 3, 2.5, "8", True])
def test_bad_divisor_is_rejected(divisor):
    with pytest.raises(ValueError, match="divisor"):
        UARTLoopback(divisor)


def test_bad_fifo_depth_is_rejected():
    with pytest.raises(ValueError, match="fifo_depth"):
        UARTLoopback(8, fifo_depth=0)
