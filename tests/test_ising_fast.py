"""The fast checkerboard sampler: bookkeeping, limiting cases and exact thermodynamics."""

import math

import numpy as np
import pytest
import torch

from bitspin.sw.ising.fast import FastResult, run_fast

ALGORITHMS = ("metropolis", "heatbath")


def spins(lattice):
    return 2 * lattice.astype(np.int64) - 1


def bond_sum(lattice):
    s = spins(lattice)
    return int((s * (np.roll(s, -1, axis=1) + np.roll(s, -1, axis=0))).sum())


def energy_per_spin(result, L, J=1, h=0.0):
    return (-J * result.bond_sum - h * result.magnetization) / (L * L)


def mean_and_error(series, batches=20):
    """Mean and its standard error from batch means, which absorbs autocorrelation."""
    means = np.array([b.mean() for b in np.array_split(np.asarray(series, float), batches)])
    return means.mean(), means.std(ddof=1) / math.sqrt(batches)


def onsager_energy(beta, J=1):
    """Energy per spin of the infinite square lattice (Onsager), with K(k) from the AGM."""
    K = beta * J
    k = 2 * math.sinh(2 * K) / math.cosh(2 * K) ** 2
    a, b = 1.0, math.sqrt(1 - k * k)
    while abs(a - b) > 1e-15:
        a, b = (a + b) / 2, math.sqrt(a * b)
    elliptic_k = math.pi / (2 * a)
    return -J / math.tanh(2 * K) * (1 + 2 / math.pi * (2 * math.tanh(2 * K) ** 2 - 1) * elliptic_k)


def exact_small_lattice(L, beta, J, h):
    """Exact ⟨E⟩/N and ⟨M⟩/N by summing over all 2^(L·L) states."""
    n = L * L
    states = (np.arange(1 << n)[:, None] >> np.arange(n)) & 1
    s = (2 * states - 1).reshape(-1, L, L)
    bonds = (s * (np.roll(s, -1, axis=2) + np.roll(s, -1, axis=1))).sum(axis=(1, 2))
    m = s.sum(axis=(1, 2))
    energy = -J * bonds - h * m
    weights = np.exp(-beta * (energy - energy.min()))
    weights /= weights.sum()
    return (weights * energy).sum() / n, (weights * m).sum() / n


def test_onsager_reference_values():
    assert onsager_energy(0.5) == pytest.approx(-1.74556, abs=1e-5)   # T = 2
    assert onsager_energy(3.0) == pytest.approx(-2, abs=1e-4)           # ground state
    assert onsager_energy(0.05) == pytest.approx(-2 * math.tanh(0.05), abs=1e-3)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("L", [4, 6, 16, 128])
def test_measurements_match_the_lattice_after_every_sweep(L, algorithm):
    full = run_fast(L, 0.35, sweeps=9, burn_in=3, h=-0.2, algorithm=algorithm, seed=L)
    assert isinstance(full, FastResult)
    assert full.magnetization.dtype == np.int64 and full.bond_sum.dtype == np.int64
    assert full.final_lattice.dtype == np.uint8 and full.final_lattice.shape == (L, L)
    assert len(full.magnetization) == len(full.bond_sum) == 6
    assert full.updates == 9 * L * L and full.elapsed_s > 0
    # A shorter run with the same seed is a prefix of the longer one.
    for sweeps in range(4, 10):
        part = run_fast(L, 0.35, sweeps=sweeps, burn_in=3, h=-0.2, algorithm=algorithm, seed=L)
        assert full.magnetization[sweeps - 4] == spins(part.final_lattice).sum()
        assert full.bond_sum[sweeps - 4] == bond_sum(part.final_lattice)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_cold_start_at_low_temperature_stays_ordered(algorithm):
    L = 32
    result = run_fast(L, 2.0, sweeps=200, init="cold", algorithm=algorithm, seed=1)
    m = result.magnetization / L**2
    assert m.min() > 0.98
    assert energy_per_spin(result, L).mean() < -1.95


@pytest.mark.parametrize("L, sweeps", [(8, 300), (128, 80)])  # small and large lattices
def test_metropolis_at_zero_beta_flips_every_spin_every_sweep(rng, L, sweeps):
    # Over 10^6 updates: mishandling p = 1 in even one draw in 2^16 would show up.
    init = rng.integers(0, 2, (L, L), dtype=np.uint8)
    m0 = spins(init).sum()
    result = run_fast(L, 0.0, sweeps=sweeps, init=init, seed=3)
    assert result.flips == sweeps * L * L
    np.testing.assert_array_equal(result.final_lattice, init if sweeps % 2 == 0 else 1 - init)
    np.testing.assert_array_equal(result.magnetization, m0 * (-1) ** np.arange(1, sweeps + 1))


def test_no_flips_when_every_flip_costs_energy_at_huge_beta():
    # As above for p = 0: one wrong draw in 2^16 would let about 20 flips through.
    L, sweeps = 128, 80
    result = run_fast(L, 50.0, sweeps=sweeps, init="cold", seed=4)
    assert result.flips == 0
    assert (result.final_lattice == 1).all()
    assert (result.magnetization == L * L).all() and (result.bond_sum == 2 * L * L).all()


def test_heatbath_at_zero_beta_gives_independent_fair_spins():
    L = 32
    n = L * L
    result = run_fast(L, 0.0, sweeps=400, algorithm="heatbath", seed=5)
    # Every spin is redrawn fairly, so M²/N and B²/(2N) average to 1 and |m| is O(1/L).
    assert np.mean(result.magnetization.astype(float) ** 2) / n == pytest.approx(1, abs=0.3)
    assert np.mean(result.bond_sum.astype(float) ** 2) / (2 * n) == pytest.approx(1, abs=0.3)
    assert np.abs(result.magnetization).mean() / n < 3 / L
    assert result.flips / result.updates == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("beta", [0.05, 1 / 3.5])
def test_energy_matches_onsager_at_high_temperature(algorithm, beta):
    L = 128  # the correlation length is about one site, so finite-size effects are negligible
    result = run_fast(L, beta, sweeps=500, burn_in=50, algorithm=algorithm, seed=6)
    mean, error = mean_and_error(energy_per_spin(result, L))
    assert error < 0.002
    assert abs(mean - onsager_energy(beta)) < 5 * error


@pytest.mark.parametrize("algorithm, beta, J, h", [
    ("metropolis", 0.4, 1, 0.2),
    ("heatbath", 0.5, -1, 0.5),
])
def test_small_lattice_matches_exact_enumeration(algorithm, beta, J, h):
    L = 4
    exact_e, exact_m = exact_small_lattice(L, beta, J, h)
    result = run_fast(L, beta, sweeps=10000, burn_in=100, J=J, h=h, algorithm=algorithm, seed=7)
    e, e_error = mean_and_error(energy_per_spin(result, L, J, h))
    m, m_error = mean_and_error(result.magnetization / L**2)
    assert abs(e - exact_e) < 5 * e_error + 1e-3
    assert abs(m - exact_m) < 5 * m_error + 1e-3


@pytest.mark.parametrize("h", [0.5, -0.5])
def test_field_polarises_the_magnetization(h):
    L = 16
    result = run_fast(L, 0.3, sweeps=300, burn_in=50, h=h, seed=8)
    assert np.sign(h) * result.magnetization.mean() / L**2 > 0.2


def test_same_seed_same_run_and_different_seeds_differ():
    runs = [run_fast(16, 0.4, sweeps=50, algorithm="heatbath", seed=seed) for seed in (1, 1, 2)]
    a, b, c = runs
    np.testing.assert_array_equal(a.magnetization, b.magnetization)
    np.testing.assert_array_equal(a.bond_sum, b.bond_sum)
    np.testing.assert_array_equal(a.final_lattice, b.final_lattice)
    assert a.flips == b.flips
    assert not np.array_equal(a.final_lattice, c.final_lattice)
    assert not np.array_equal(a.magnetization, c.magnetization)


def test_progress_reports_sweeps_done():
    done = []
    run_fast(8, 0.4, sweeps=250, progress=done.append)
    assert done == sorted(done) and done[-1] == 250 and len(done) >= 50


@pytest.mark.parametrize("kwargs, match", [
    (dict(L=7), "even"),
    (dict(L=2), "even"),
    (dict(sweeps=0), "sweeps"),
    (dict(burn_in=10), "burn_in"),
    (dict(burn_in=-1), "burn_in"),
    (dict(init="warm"), "init"),
    (dict(init=np.ones((4, 4), np.uint8)), "shape"),
    (dict(init=np.full((8, 8), 2, np.uint8)), "0"),
    (dict(algorithm="wolff"), "algorithm"),
    (dict(beta=-1.0), "beta"),
    (dict(J=2), "J"),
    (dict(device="tpu"), "device"),
])
def test_bad_arguments_are_rejected(kwargs, match):
    args = dict(L=8, beta=0.4, sweeps=10) | kwargs
    with pytest.raises(ValueError, match=match):
        run_fast(args.pop("L"), args.pop("beta"), **args)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        run_fast(8, 0.4, sweeps=10, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_backend_bookkeeping_and_statistics():
    L = 64
    result = run_fast(L, 1 / 3.5, sweeps=1000, burn_in=100, seed=9, device="cuda")
    assert result.magnetization[-1] == spins(result.final_lattice).sum()
    assert result.bond_sum[-1] == bond_sum(result.final_lattice)
    mean, error = mean_and_error(energy_per_spin(result, L))
    assert abs(mean - onsager_energy(1 / 3.5)) < 5 * error + 1e-3
    again = run_fast(L, 1 / 3.5, sweeps=1000, burn_in=100, seed=9, device="cuda")
    np.testing.assert_array_equal(result.magnetization, again.magnetization)
