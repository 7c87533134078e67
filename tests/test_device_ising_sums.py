"""On-chip sums and the lean lanes through the virtual board: a device whose Ising core has the
lagged-Fibonacci wheels and adds up the observables (IsingParams rng="wheel", sums) gives the
golden model's sums and decimated records, bit for bit, and the same final lattice; a device
without sums refuses a decimated run with a clear error."""

import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.sim.virtual_board.devices import start_device
from bitspin.sw.device.errors import IdentityMismatch
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import run_summary
from tests.device_board import PARAMS, board  # noqa: F401 (fixture)

SUMS = IsingParams(PARAMS.size, PARAMS.lanes, rng="wheel", sums=True)


@pytest.fixture(scope="module")
def sums_board():
    with start_device(ising=SUMS) as vb:
        yield vb


def _summary(backend, config, url=None):
    return run_summary(backend, config, run(backend, config, device_url=url))


@pytest.mark.parametrize("every", [1, 3, 7])
def test_sums_and_decimated_records_equal_golden(sums_board, every, rng):
    config = RunConfig(size=SUMS.size, lanes=SUMS.lanes, sweeps=int(rng.integers(40, 80)),
                       burn_in=int(rng.integers(0, 10)), seed=int(rng.integers(1 << 40)),
                       beta=float(rng.uniform(0.3, 0.6)), field=float(rng.choice([0.0, 0.3])),
                       algorithm=str(rng.choice(["metropolis", "heatbath"])),
                       rng=SUMS.rng, observe_every=every)
    device, golden = _summary("device", config, sums_board.url), _summary("golden", config)
    for key in ("final_lattice_sha256", "observables_sha256", "measured_sweeps",
                "energy_per_spin", "specific_heat_per_spin", "binder_cumulant"):
        assert device[key] == golden[key], key
    assert device.get("sums") == golden.get("sums")
    if every > 1:
        assert device["observe_every"] == every
        assert device["sums"]["count"] == config.sweeps - config.burn_in


def test_a_device_without_sums_refuses_a_decimated_run(board):  # noqa: F811
    config = RunConfig(size=PARAMS.size, lanes=PARAMS.lanes, sweeps=20, burn_in=0,
                       observe_every=2)
    with pytest.raises(IdentityMismatch, match="no on-chip sums"):
        run("device", config, device_url=board.url)


def test_observe_every_on_a_fast_backend_is_refused():
    with pytest.raises(ValueError, match="golden and device"):
        run("cpu", RunConfig(size=16, sweeps=20, burn_in=0, observe_every=2))
