"""The Ising core's tiles (hw/ising/tiles.py) in cocotb against R golden cores seeded S + j, bit
for bit: randomized L, P, R, generator, couplings, sums, β per tile, J, h, algorithm, initial
state and back-pressure; the merged stream in tile order, every tile's lattice and sums."""

import numpy as np
import pytest

from bitspin.hw.ising.params import ALGORITHMS, LANE_RNGS, IsingParams
from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, observable_sums
from bitspin.hw.ising.tiles import IsingTiles, tiles_read_latency
from bitspin.sim import simulate
from bitspin.sw.ising.couplings import random_couplings
from bitspin.sw.ising.golden import GoldenIsingCore
from bitspin.sw.ising.thresholds import threshold_table
from tests.conftest import require_simulator
from tests.ising_session import lattice_to_words, words_to_lattice


def _case(rng, sizes, max_lanes, max_replicas):
    L = int(rng.choice(sizes))
    lanes = [1 << e for e in range(0, 8) if (1 << e) <= min(max_lanes, L * L // 2)]
    params = IsingParams(L, int(rng.choice(lanes)), k=int(rng.integers(8, 33)),
                         rng=str(rng.choice(LANE_RNGS)), sums=bool(rng.random() < 0.5),
                         couplings=bool(rng.random() < 0.5),
                         replicas=int(rng.integers(2, max_replicas + 1)))
    J = int(rng.choice([1, -1]))
    h = float(rng.uniform(-1, 1)) if rng.random() < 0.5 else 0.0
    algorithm = str(rng.choice(ALGORITHMS))
    tables = [threshold_table(float(rng.uniform(0.1, 1.0)), J, h, algorithm, params.k)
              for _ in range(params.replicas)]
    couplings = [random_couplings(L, int(rng.integers(1 << 62))) if params.couplings else None
                 for _ in range(params.replicas)]
    seed = int(rng.integers(0, 1 << 64, dtype=np.uint64))
    init = str(rng.choice(["cold", "hot", "load"]))
    ops = [["seed", seed]]
    for tile in range(params.replicas):
        if init == "load" or params.couplings:
            lattice = rng.integers(0, 2, (L, L), dtype=np.uint8)
            ops.append(["load", [tile, lattice_to_words(params, lattice, couplings[tile])]])
    if init != "load":
        ops.append([init, 0])
    ops.append(["run", int(rng.integers(8, 20))])
    return params, tables, couplings, ops


def _golden(params, tables, couplings, ops):
    cores = [GoldenIsingCore(params, couplings[j]) for j in range(params.replicas)]
    records = []
    for name, value in ops:
        if name == "seed":
            for j, core in enumerate(cores):
                core.seed((value + j) % (1 << 64))
        elif name == "load":
            tile, words = value
            cores[tile].load(words_to_lattice(params, words))
        elif name in ("cold", "hot"):
            for core in cores:
                {"cold": core.init_cold, "hot": core.init_hot}[name]()
        elif name == "run":
            records = [core.run(value, table) for core, table in zip(cores, tables)]
    return cores, records


def _check(rng, params, tables, couplings, ops, simulator):
    every = int(rng.choice([1, 2, 3])) if params.sums else 1
    ready = float(rng.choice([1.0, 0.3]))
    description = (f"L={params.size} P={params.lanes} R={params.replicas} k={params.k} "
                   f"rng={params.rng} sums={params.sums} couplings={params.couplings} "
                   f"every={every} ready={ready} ops={[op[0] for op in ops]}")
    print(description)
    result = simulate(IsingTiles(params), test_module="bitspin.sim.benches.ising_tiles",
                      simulator=simulator, testcase="session",
                      args={"ops": ops, "thresholds": [[int(t) for t in table]
                                                       for table in tables],
                            "threshold_bits": params.k + 1, "groups": params.groups,
                            "replicas": params.replicas, "ready_probability": ready,
                            "bench_seed": int(rng.integers(1 << 30)), "every": every,
                            "read_latency": tiles_read_latency(params)})
    out = result.outputs
    cores, records = _golden(params, tables, couplings, ops)
    sweeps = ops[-1][1]
    kept = [(m[::every], b[::every]) for m, b in records]    # what RUN forwards
    expected = [[int(kept[j][0][t]), int(kept[j][1][t])]
                for t in range(len(kept[0][0])) for j in range(params.replicas)]
    assert out["observables"] == expected, description
    for j, core in enumerate(cores):
        assert np.array_equal(words_to_lattice(params, out["lattices"][j]), core.lattice), \
            f"{description}: tile {j}"
        if params.sums:
            sums = observable_sums(*records[j])
            assert out["sums"][j] == [sums[name] for name in OBSERVABLE_SUMS], \
                f"{description}: tile {j} sums"
    assert out["flips"] == sum(core.flips for core in cores), description
    assert out["update_cycles"] == sweeps * 2 * params.steps_per_half, description


@pytest.mark.parametrize("case", range(3))
def test_tiles_match_golden_in_verilator(case, rng):
    _check(rng, *_case(rng, [4, 8, 16], max_lanes=16, max_replicas=4), "verilator")


def test_tiles_match_golden_in_icarus(rng):
    require_simulator("icarus")
    params, tables, couplings, ops = _case(rng, [4, 8], max_lanes=4, max_replicas=2)
    ops[-1][1] = 6
    _check(rng, params, tables, couplings, ops, "icarus")




def test_tiles_with_sums_synthesise_for_the_ulx3s(tmp_path):
    """The board flow's Yosys step (``bitspin build``'s script, replica-keeping included) maps
    a tile array with sums: unread select copies for tile 0, kept as replicas, made Yosys
    0.70's LUT mapping fail an assertion (tile run 8, docs/design_space.md)."""
    from bitspin.boards import synthesise_for_board
    from bitspin.boards.designs import make_top

    top = make_top("ising", {"size": 16, "lanes": 8, "rng": "wheel", "sums": True,
                             "couplings": True, "replicas": 2,
                             "clock_mhz": 100, "board": "ulx3s-85f"})
    assert synthesise_for_board(top, "ulx3s-85f", tmp_path).exists()
