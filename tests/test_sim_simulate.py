"""bitspin.sim.simulate: the build cache, waves, and failures surfacing as pytest failures."""

import pytest

from bitspin.hw.uart_loopback import UARTLoopback
from bitspin.sim import SimulationFailure, simulate

BENCH = "bitspin.sim.benches.uart_loopback"


def _args(rng, divisor):
    data = [int(b) for b in rng.integers(0, 256, 6)]
    return {"divisor": divisor, "data": data, "gaps": [0] * len(data)}


def test_rerun_reuses_the_cached_build(simulator, rng, tmp_path, monkeypatch):
    monkeypatch.setenv("BITSPIN_CACHE_DIR", str(tmp_path / "cache"))
    divisor = int(rng.integers(4, 9))
    first = simulate(UARTLoopback(divisor), test_module=BENCH, simulator=simulator,
                     args=_args(rng, divisor), testcase="echoes_random_bytes")
    second = simulate(UARTLoopback(divisor), test_module=BENCH, simulator=simulator,
                      args=_args(rng, divisor), testcase="echoes_random_bytes")
    assert first.built and not second.built
    assert first.build_dir == second.build_dir
    other = simulate(UARTLoopback(divisor + 1), test_module=BENCH, simulator=simulator,
                     args=_args(rng, divisor + 1), testcase="echoes_random_bytes")
    assert other.built and other.build_dir != first.build_dir  # the key covers the parameters


def test_waves_are_written_on_request(simulator, rng, tmp_path):
    result = simulate(UARTLoopback(4), test_module=BENCH, simulator=simulator,
                      args=_args(rng, 4), testcase="echoes_random_bytes", waves=True,
                      run_dir=tmp_path)
    assert result.waves is not None and result.waves.stat().st_size > 1000
    assert result.waves.parent == tmp_path


def test_failing_bench_raises_with_the_assertion_text(simulator):
    with pytest.raises(SimulationFailure) as failure:
        simulate(UARTLoopback(4), test_module="tests.benches.expects_wrong_echo",
                 simulator=simulator)
    message = str(failure.value)
    assert isinstance(failure.value, AssertionError)
    assert "echo_is_inverted" in message and "MARKER-7f3a" in message


def test_unknown_testcase_is_reported(simulator):
    with pytest.raises(SimulationFailure, match="ran no cocotb test"):
        simulate(UARTLoopback(4), test_module=BENCH, simulator=simulator, testcase="no_such_test")


def test_unknown_simulator_is_rejected():
    with pytest.raises(ValueError, match="unknown simulator"):
        simulate(UARTLoopback(4), test_module=BENCH, simulator="modelsim")
