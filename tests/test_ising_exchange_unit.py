"""The chip's exchange rule: the fixed-point acceptance against min(1, e^Δ), the gateware
(``ExchangeUnit``, Amaranth's simulator) against the golden model for random ladders, lattices,
fields and seeds, and tempering under the chip's rule against exact enumeration."""

import math

import numpy as np
import pytest

from bitspin.hw.ising.exchange_spec import (COEFF_FRACTION_BITS, EXP2_TABLE_BITS, accepts,
                                            exchange_coefficients)
from bitspin.hw.ising.exchange_unit import ExchangeUnit, round_cycles
from bitspin.hw.ising.params import TABLE_SIZE, IsingParams, observable_bits
from bitspin.sw.ising.couplings import random_couplings
from bitspin.sw.ising.exchange_fixed import FixedExchange
from bitspin.sw.ising.replica_samplers import replica_sampler
from bitspin.sw.ising.spin_glass_exact import exact_couplings
from bitspin.sw.ising.temper_report import temper_summary
from bitspin.sw.ising.tempering import TemperConfig, temper

from .pysim import run_pysim


def _acceptance(y: int) -> float:
    """The rule's exact acceptance probability for exponent y: the share of 32-bit u that pass."""
    if y >= 0:
        return 1.0
    lo, hi = 0, 1 << 32          # accepts(y, u) holds for u below a threshold: find it
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if accepts(y, mid) else (lo, mid)
    return lo / 2 ** 32


def test_the_fixed_point_acceptance_meets_min_1_exp_delta(rng):
    bound = 2 ** (1 / 2 ** (EXP2_TABLE_BITS + 1)) - 1
    for _ in range(400):
        delta = -float(rng.exponential(3.0))
        y = math.floor(delta * math.log2(math.e) * 2 ** COEFF_FRACTION_BITS)
        want = math.exp(y / 2 ** COEFF_FRACTION_BITS / math.log2(math.e))
        got = _acceptance(y)
        assert abs(got - want) <= want * bound * 1.01 + 2 ** -31, (delta, got, want)
    assert _acceptance(0) == 1.0 and _acceptance(5) == 1.0
    assert _acceptance(-(40 << COEFF_FRACTION_BITS)) == 0.0


def test_coefficients_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="too far apart"):
        exchange_coefficients(100.0, 0.01, 1, 0)


def _random_case(rng):
    T = int(rng.integers(2, 7))
    size = int(rng.choice([4, 8, 16]))
    params = IsingParams(size, int(rng.choice([1, 2, 4])))
    temps = np.sort(rng.uniform(0.3, 4.0, T))
    while len(set(temps)) < T:
        temps = np.sort(rng.uniform(0.3, 4.0, T))
    field = float(rng.choice([0.0, rng.uniform(-1, 1)]))
    coupling = int(rng.choice([-1, 1]))
    golden = FixedExchange(list(1 / temps), coupling, field, int(rng.integers(1 << 62)),
                           int(rng.integers(2)))
    return params, T, golden


@pytest.mark.parametrize("case", range(4))
def test_the_unit_decides_as_the_golden_model(case, rng):
    params, T, golden = _random_case(rng)
    n = params.size ** 2
    rounds = 12
    # Observables as the tiles could report them (|M| ≤ N, even B within ±2N), mostly close
    # to each other so that decisions go through the table, sometimes anywhere.
    spread = int(rng.choice([1, 2, n // 2]))
    mags = np.clip(rng.integers(-spread, spread + 1, (rounds, T)) + int(rng.integers(-n, n)),
                   -n, n)
    bonds = np.clip(rng.integers(-spread, spread + 1, (rounds, T)) + int(rng.integers(-n, n)),
                    -n, n) * 2
    tables = rng.integers(0, 1 << (params.k + 1), (T, TABLE_SIZE))
    dut = ExchangeUnit(params, T)
    assert observable_bits(params)[1] >= int(np.abs(bonds).max()).bit_length() + 1

    start_state, coefficients = golden.rng_state, golden.coefficients   # before it draws
    expected_slots, expected_accepted = [], []
    slot_at, accepted = list(range(T)), [0] * (T - 1)
    for r in range(rounds):
        for i in range(r % 2, T - 1, 2):
            lo, hi = slot_at[i], slot_at[i + 1]
            if golden_propose(golden, i, mags[r], bonds[r], lo, hi):
                slot_at[i], slot_at[i + 1] = hi, lo
                accepted[i] += 1
        expected_slots.append(list(slot_at))
        expected_accepted.append(list(accepted))

    async def testbench(ctx):
        ctx.set(dut.rng_state, start_state)
        for i, (a, c) in enumerate(coefficients):
            ctx.set(dut.coeff_a[i], a)
            ctx.set(dut.coeff_c[i], c)
        for t in range(T):
            ctx.set(dut.tables[t], [int(v) for v in tables[t]])
        ctx.set(dut.load, 1)
        await ctx.tick()
        ctx.set(dut.load, 0)
        for r in range(rounds):
            for j in range(T):
                ctx.set(dut.magnetization[j], int(mags[r, j]))
                ctx.set(dut.bond_sum[j], int(bonds[r, j]))
            ctx.set(dut.start, 1)
            ctx.set(dut.parity, r % 2)
            await ctx.tick()
            ctx.set(dut.start, 0)
            clocks = 1
            while ctx.get(dut.busy):
                await ctx.tick()
                clocks += 1
            assert clocks == round_cycles(T, r), r
            assert [ctx.get(dut.slot_at[t]) for t in range(T)] == expected_slots[r], r
            assert [ctx.get(dut.accepted[i]) for i in range(T - 1)] == expected_accepted[r], r
            for t, j in enumerate(expected_slots[r]):
                assert [ctx.get(dut.tile_tables[j][e]) for e in range(TABLE_SIZE)] == \
                    [int(v) for v in tables[t]], (r, j)

    run_pysim(dut, testbench)


def golden_propose(golden, i, mags, bonds, lo, hi):
    return golden.propose(i, (mags[lo], bonds[lo]), (mags[hi], bonds[hi]))


@pytest.mark.parametrize("backend", ["golden", "cpu"])
def test_tempering_under_the_chip_rule_reaches_the_exact_values(backend, rng, tmp_path):
    couplings = random_couplings(4, int(rng.integers(1 << 62)))
    couplings.save(tmp_path / "c.npz")
    config = TemperConfig([0.6, 0.9, 1.3, 1.9, 2.8], size=4, lanes=int(rng.choice([1, 2, 4])),
                          sweeps=6000, burn_in=500, exchange_every=int(rng.integers(1, 4)),
                          seed=int(rng.integers(1 << 62)), couplings=str(tmp_path / "c.npz"),
                          threads=1, exchange_rule="chip")
    config.validate()
    sampler = replica_sampler(backend, config, 5, couplings)
    summary = temper_summary(backend, config, temper(sampler, config, couplings))
    for replica in summary["replicas"]:
        exact = exact_couplings(couplings, 1 / replica["temperature"])
        for key in ("energy_per_spin", "specific_heat_per_spin"):
            m = replica[key]
            assert abs(m["mean"] - exact[key]) <= 4 * m["stderr"] + 2e-3, (replica, key)
    assert all(0 < a <= 1 for a in summary["exchange_acceptance"])
