"""Spin glasses and parallel tempering through the virtual board. A device with R tiles
(IsingParams replicas) gives the golden model's per-temperature records, exchanges, final
lattices and overlaps bit for bit, for random ±J instances, ladders, seeds and exchange
intervals; a single run with couplings equals golden too; each tile has its own table and sums;
a device with the wrong number of tiles, or without couplings, is refused."""

import numpy as np
import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.sim.virtual_board.devices import start_device
from bitspin.sw.device.connect import open_device
from bitspin.sw.device.errors import IdentityMismatch
from bitspin.sw.device.ising_sampler import IsingSampler
from bitspin.sw.device.tile_replicas import DeviceReplicas
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.couplings import random_couplings
from bitspin.sw.ising.report import run_summary
from bitspin.sw.ising.replica_samplers import replica_sampler
from bitspin.sw.ising.temper_report import temper_summary
from bitspin.sw.ising.tempering import TemperConfig, temper
from tests.conftest import _SEED_BASE

# Two boards, their P drawn from the session's seed (printed in the report header): three tiles
# with xoroshiro64+ lanes, sums and couplings; four small tiles with the wheels and no couplings
# (two temperatures, two copies).
_LANES = np.random.default_rng(_SEED_BASE)
BOARDS = {"three": IsingParams(8, int(_LANES.choice([1, 2, 4, 8, 16])), replicas=3, sums=True,
                               couplings=True),
          "four": IsingParams(4, int(_LANES.choice([1, 2, 4, 8])), rng="wheel", replicas=4)}


@pytest.fixture(scope="module", params=list(BOARDS))
def tile_board(request):
    with start_device(ising=BOARDS[request.param]) as vb:
        yield BOARDS[request.param], vb


def _ladder(rng, count):
    return sorted(float(t) for t in rng.uniform(0.8, 4.0, count))


def test_tempering_on_the_tiles_equals_golden(tile_board, rng):
    params, vb = tile_board
    copies = 2 if params.replicas == 4 else 1
    config = TemperConfig(_ladder(rng, params.replicas // copies), size=params.size,
                          lanes=params.lanes, k=params.k, rng=params.rng,
                          sweeps=int(rng.integers(20, 50)), burn_in=int(rng.integers(0, 8)),
                          exchange_every=int(rng.integers(1, 5)), copies=copies,
                          seed=int(rng.integers(1 << 62)),
                          algorithm=str(rng.choice(["metropolis", "heatbath"])),
                          exchange_rule=str(rng.choice(["host", "chip"])))
    couplings = (random_couplings(params.size, int(rng.integers(1 << 62)))
                 if params.couplings else None)
    golden = temper(replica_sampler("golden", config, params.replicas, couplings), config,
                    couplings)
    with open_device(vb.url) as device:
        on_device = temper(DeviceReplicas(device, config, params.replicas, couplings), config,
                           couplings)
    assert np.array_equal(golden.observables, on_device.observables)
    assert np.array_equal(golden.walks, on_device.walks)
    assert golden.flips == on_device.flips
    for mine, theirs in zip(golden.final_lattices, on_device.final_lattices):
        assert all(np.array_equal(a, b) for a, b in zip(mine, theirs))
    g, d = temper_summary("golden", config, golden), temper_summary("device", config, on_device)
    for key in ("observables_sha256", "exchange_acceptance", "round_trips", "replicas"):
        assert g[key] == d[key], key
    assert d["device_spin_updates_per_ns"] > 0


def test_each_tile_has_its_own_table_and_sums(tile_board, rng):
    params, vb = tile_board
    if not params.sums:
        pytest.skip("this board's tiles have no sums")
    with open_device(vb.url) as device:
        ising = IsingSampler(device)
        tables = [[int(v) for v in rng.integers(0, 1 << params.k, 10)]
                  for _ in range(params.replicas)]
        for tile, table in enumerate(tables):
            ising.set_thresholds(table, tile)
        for tile, table in enumerate(tables):
            ising.select_tile(tile)
            assert device.read_all("ISING_THRESHOLDS") == table
        ising.seed(int(rng.integers(1 << 62)))
        ising.init("hot")
        m, b = ising.run(10)
        for tile in range(params.replicas):
            ising.select_tile(tile)
            sums = ising.read_sums()
            assert sums["count"] == 10
            assert sums["m"] == int(m[:, tile].sum()) and sums["b2"] == int((b[:, tile] ** 2).sum())


def test_the_wrong_number_of_tiles_is_refused(tile_board):
    params, vb = tile_board
    config = TemperConfig([1.0, 2.0], size=params.size, lanes=params.lanes, rng=params.rng)
    with open_device(vb.url) as device:
        with pytest.raises(IdentityMismatch, match="tile"):
            DeviceReplicas(device, config, params.replicas + 1)
        with pytest.raises(IdentityMismatch, match="tiles"):
            IsingSampler(device).sample(type("C", (), {"size": params.size,
                                                       "lanes": params.lanes, "k": params.k})())


def test_a_device_without_couplings_refuses_them(tile_board, tmp_path):
    params, vb = tile_board
    if params.couplings:
        pytest.skip("this board holds couplings")
    config = TemperConfig([1.0, 2.0], size=params.size, lanes=params.lanes, rng=params.rng,
                          copies=2)
    with open_device(vb.url) as device:
        with pytest.raises(IdentityMismatch, match="without couplings"):
            DeviceReplicas(device, config, params.replicas, random_couplings(params.size, 1))


@pytest.fixture(scope="module")
def glass_board():
    with start_device(ising=IsingParams(16, 8, couplings=True)) as vb:
        yield vb


@pytest.mark.parametrize("with_couplings", [True, False])
def test_a_single_run_with_couplings_equals_golden(glass_board, with_couplings, rng, tmp_path):
    """With couplings from a file, and without them on the same board (the host then writes
    all +1 signs, whatever the last job left)."""
    path = None
    if with_couplings:
        path = tmp_path / "glass.npz"
        random_couplings(16, int(rng.integers(1 << 62))).save(path)
    config = RunConfig(size=16, lanes=8, sweeps=int(rng.integers(20, 60)),
                       burn_in=int(rng.integers(0, 10)), seed=int(rng.integers(1 << 40)),
                       beta=float(rng.uniform(0.3, 1.5)), init=str(rng.choice(["hot", "cold"])),
                       algorithm=str(rng.choice(["metropolis", "heatbath"])),
                       couplings=None if path is None else str(path))
    device = run_summary("device", config, run("device", config, device_url=glass_board.url))
    golden = run_summary("golden", config, run("golden", config))
    for key in ("final_lattice_sha256", "observables_sha256", "acceptance_rate"):
        assert device[key] == golden[key], key
