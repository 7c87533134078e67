"""Autocorrelation-aware Monte Carlo statistics: τ_int, errors of means, jackknife, summaries.

Random inputs come from the ``rng`` fixture, whose seed is printed; set BITSPIN_TEST_SEED to
replay a failure. Tolerances are several standard deviations of the estimators' own noise.
"""

import itertools
import json
import math

import numpy as np
import pytest

from bitspin.sw.ising.statistics import auto_n_blocks, jackknife, mean_stderr, summarize, tau_int

# Any RuntimeWarning (division by zero, NaN from a degenerate variance) is a failure here. Only
# RuntimeWarning: a warning raised while the garbage collector frees another test's objects (an
# unused Amaranth elaboratable from a parameter-check test on the same worker) must not fail these.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SUMMARY_KEYS = {"energy_per_spin", "abs_magnetization_per_spin", "specific_heat_per_spin",
                "binder_cumulant", "tau_int_energy", "samples"}
OBSERVABLES = ("energy_per_spin", "abs_magnetization_per_spin", "specific_heat_per_spin",
               "binder_cumulant")


def ar1(rng, phi, n, replicas=None):
    """n steps of x_t = φ·x_{t−1} + ε_t (unit normal ε), started in the stationary law."""
    eps = rng.standard_normal(n if replicas is None else (n, replicas))
    eps[0] /= math.sqrt(1 - phi ** 2)
    return np.array(list(itertools.accumulate(eps, lambda prev, e: phi * prev + e)))


def ar1_tau(phi):
    return (1 + phi) / (2 * (1 - phi))


def independent_spins(rng, n, L, p_up=0.5):
    """(M, B) for n independent L×L periodic lattices whose spins are up with probability p_up."""
    s = np.where(rng.random((n, L, L)) < p_up, 1, -1).astype(np.int8)
    bonds = s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)
    return s.sum(axis=(1, 2), dtype=np.int64), bonds.sum(axis=(1, 2), dtype=np.int64)


# --- tau_int -------------------------------------------------------------------------------------

@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_tau_int_of_ar1_process(rng, phi):
    assert tau_int(ar1(rng, phi, 200_000)) == pytest.approx(ar1_tau(phi), rel=0.15)


def tau_int_by_definition(x, c=6.0):
    """Sokal's windowed τ_int from the O(n²) autocorrelation sum, for comparison with the FFT."""
    d = np.asarray(x, float) - np.mean(x)
    tau = 0.5
    for w in range(1, len(d)):
        tau += d[:-w] @ d[w:] / (d @ d)
        if w >= c * tau:
            break
    return max(tau, 0.0)


@pytest.mark.parametrize("phi, n", [(0.7, 300), (0.95, 40), (0.0, 5)])
def test_tau_int_matches_the_definition_on_short_series(rng, phi, n):
    x = ar1(rng, phi, n)
    assert tau_int(x) == pytest.approx(tau_int_by_definition(x), rel=1e-9, abs=1e-12)
    ramp = np.arange(n, dtype=float)
    assert tau_int(ramp, c=3) == pytest.approx(tau_int_by_definition(ramp, c=3), rel=1e-9)


def test_tau_int_of_repeated_samples_is_half_the_repeat(rng):
    # Each value held for k samples: ρ(t) = 1 − t/k for t < k, so τ_int = k/2.
    x = np.repeat(rng.standard_normal(10_000), 8)
    assert tau_int(x) == pytest.approx(4.0, rel=0.15)


def test_tau_int_of_constant_series_is_half():
    assert tau_int(np.full(100, 0.1)) == 0.5
    assert tau_int([3, 3]) == 0.5
    assert isinstance(tau_int([1.0, 2.0, 1.5]), float)


def test_tau_int_never_negative():
    assert tau_int(np.tile([1.0, -1.0], 500)) >= 0.0


@pytest.mark.parametrize("bad, match", [
    ([1.0], "at least 2"),
    ([], "at least 2"),
    (np.zeros((4, 4)), "one-dimensional"),
    ([1.0, np.nan, 2.0], "NaN"),
    ([1.0, np.inf], "infinite"),
])
def test_tau_int_rejects_bad_series(bad, match):
    with pytest.raises(ValueError, match=match):
        tau_int(bad)


def test_tau_int_rejects_bad_window_factor():
    with pytest.raises(ValueError, match="window factor"):
        tau_int([1.0, 2.0, 3.0], c=0)


# --- mean_stderr ---------------------------------------------------------------------------------

def test_mean_stderr_matches_spread_of_independent_replicas(rng):
    phi, n, replicas = 0.8, 4000, 400
    runs = ar1(rng, phi, n, replicas).T
    results = np.array([mean_stderr(run) for run in runs])
    spread = results[:, 0].std(ddof=1)
    assert np.median(results[:, 1]) == pytest.approx(spread, rel=0.2)
    # The naive σ/√n is 3× too small here, so the test above can tell the difference.
    naive = np.median([run.std() / math.sqrt(n) for run in runs])
    assert naive < 0.5 * spread


def test_mean_stderr_of_constant_series_is_exact():
    assert mean_stderr(np.full(50, 0.1)) == (0.1, 0.0)


def test_mean_stderr_uses_given_tau():
    x = np.array([0.0, 1.0, 0.0, 1.0])
    assert mean_stderr(x, tau=2.0) == (0.5, pytest.approx(math.sqrt(2 * 2.0 * 0.25 / 4)))
    with pytest.raises(ValueError, match="tau"):
        mean_stderr(x, tau=-1.0)


# --- jackknife -----------------------------------------------------------------------------------

def test_jackknife_of_a_mean_is_the_blocked_standard_error(rng):
    x = rng.standard_normal(1000)
    value, stderr = jackknife(lambda a: a, x, n_blocks=10)
    block_means = x.reshape(10, 100).mean(axis=1)
    assert value == pytest.approx(x.mean(), rel=1e-12)
    assert stderr == pytest.approx(block_means.std(ddof=1) / math.sqrt(10), rel=1e-10)


def test_jackknife_of_constant_series_has_zero_error():
    assert jackknife(lambda a, b: b - a * a, np.full(30, 0.1), np.full(30, 0.01)) == \
        (pytest.approx(0.0, abs=1e-15), 0.0)


def test_auto_n_blocks():
    assert auto_n_blocks(100_000, 0.5) == 50
    assert auto_n_blocks(400, 10.0) == 10
    assert auto_n_blocks(10, 100.0) == 2
    assert auto_n_blocks(2, 0.5) == 2


def test_jackknife_rejects_bad_use(rng):
    x = rng.standard_normal(20)
    with pytest.raises(TypeError, match="elementwise"):
        jackknife(lambda a: float(np.mean(a)), x)
    with pytest.raises(ValueError, match="n_blocks"):
        jackknife(lambda a: a, x, n_blocks=1)
    with pytest.raises(ValueError, match="n_blocks"):
        jackknife(lambda a: a, x, n_blocks=21)
    with pytest.raises(ValueError, match="same length"):
        jackknife(lambda a, b: a + b, x, x[:-1])
    with pytest.raises(ValueError, match="at least one"):
        jackknife(lambda: 0.0)


# --- summarize -----------------------------------------------------------------------------------

def assert_well_formed(summary, samples):
    assert set(summary) == SUMMARY_KEYS
    assert summary["samples"] == samples and type(summary["samples"]) is int
    assert type(summary["tau_int_energy"]) is float
    for key in OBSERVABLES:
        assert set(summary[key]) == {"mean", "stderr"}
        assert all(type(v) is float for v in summary[key].values())
    json.dumps(summary)


@pytest.mark.parametrize("L, beta, J, h, p_up", [
    (3, 0.4, 1, 0.0, 0.5),
    (4, 1.1, -1, 0.3, 0.7),
    (1, 0.5, 1, 0.5, 0.6),
])
def test_summarize_matches_direct_formulas(rng, L, beta, J, h, p_up):
    n = 4000
    M, B = independent_spins(rng, n, L, p_up)
    N = L * L
    summary = summarize(M, B, L, beta, J, h)
    assert_well_formed(summary, n)

    E = -J * B.astype(float) - h * M
    m = M / N
    assert summary["energy_per_spin"]["mean"] == pytest.approx(E.mean() / N, rel=1e-12)
    assert summary["abs_magnetization_per_spin"]["mean"] == pytest.approx(np.abs(m).mean())
    assert summary["specific_heat_per_spin"]["mean"] == pytest.approx(beta ** 2 * E.var() / N)
    u = 1 - np.mean(m ** 4) / (3 * np.mean(m ** 2) ** 2)
    assert summary["binder_cumulant"]["mean"] == pytest.approx(u, rel=1e-10, abs=1e-12)

    # Independent samples: τ_int ≈ 1/2, so errors are the naive σ/√n.
    assert summary["tau_int_energy"] == pytest.approx(0.5, abs=0.15)
    for key, series in (("energy_per_spin", E / N), ("abs_magnetization_per_spin", np.abs(m))):
        assert summary[key]["stderr"] == pytest.approx(series.std() / math.sqrt(n), rel=0.15)


def test_summarize_independent_spins_against_exact_values(rng):
    L, beta, n = 4, 0.7, 20_000
    N = L * L
    summary = summarize(*independent_spins(rng, n, L), L, beta)
    # For independent ±1 spins (L ≥ 3, so the 2N bonds are distinct and pairwise uncorrelated):
    # ⟨e⟩ = 0, Var(B) = 2N so c = 2β², ⟨M²⟩ = N and ⟨M⁴⟩ = 3N² − 2N so U = 2/(3N).
    abs_m = sum(math.comb(N, k) * abs(2 * k - N) for k in range(N + 1)) / 2 ** N / N
    exact = {"energy_per_spin": 0.0, "abs_magnetization_per_spin": abs_m,
             "specific_heat_per_spin": 2 * beta ** 2, "binder_cumulant": 2 / (3 * N)}
    for key, value in exact.items():
        got = summary[key]
        assert abs(got["mean"] - value) < 5 * got["stderr"], (key, got, value)
    assert summary["energy_per_spin"]["stderr"] == pytest.approx(math.sqrt(2 / (N * n)), rel=0.15)


def test_specific_heat_error_matches_replicas_and_shrinks_as_root_n(rng):
    L, beta, replicas = 4, 0.5, 150
    mean_errors = {}
    for n in (2000, 8000):
        results = [summarize(*independent_spins(rng, n, L), L, beta)["specific_heat_per_spin"]
                   for _ in range(replicas)]
        values = np.array([r["mean"] for r in results])
        errors = np.array([r["stderr"] for r in results])
        assert errors.mean() == pytest.approx(values.std(ddof=1), rel=0.3)
        mean_errors[n] = errors.mean()
    assert mean_errors[2000] / mean_errors[8000] == pytest.approx(2.0, rel=0.1)


def test_correlated_copies_do_not_shrink_the_errors(rng):
    # Holding every independent sample for 8 sweeps adds no information: τ_int ≈ 4 and all the
    # errors must stay what the 10 000 independent samples give.
    L, beta, k = 4, 0.6, 8
    M, B = independent_spins(rng, 10_000, L)
    once = summarize(M, B, L, beta)
    held = summarize(np.repeat(M, k), np.repeat(B, k), L, beta)
    assert held["tau_int_energy"] == pytest.approx(k / 2, rel=0.15)
    for key in OBSERVABLES:
        assert held[key]["mean"] == pytest.approx(once[key]["mean"], rel=1e-9, abs=1e-12)
        assert held[key]["stderr"] == pytest.approx(once[key]["stderr"], rel=0.15)


def test_binder_is_two_thirds_for_constant_magnitude(rng):
    L, n = 8, 1000
    N = L * L
    M = N * rng.choice([-1, 1], size=n)
    B = np.full(n, 2 * N)
    summary = summarize(M, B, L, 0.3, h=0.2)
    assert_well_formed(summary, n)
    assert summary["binder_cumulant"] == {"mean": pytest.approx(2 / 3, rel=1e-14), "stderr": 0.0}
    assert summary["abs_magnetization_per_spin"] == {"mean": 1.0, "stderr": 0.0}


def test_binder_is_zero_for_gaussian_magnetization_on_a_large_lattice(rng):
    # M ~ 1.5e5 on a 1024² lattice: M⁴ ~ 5e20 overflows int64, so this needs float64 moments.
    L, n, sigma = 1024, 20_000, 1.5e5
    M = np.rint(sigma * rng.standard_normal(n)).astype(np.int64)
    B = rng.integers(-1000, 1000, size=n)
    summary = summarize(M, B, L, 0.44)
    U = summary["binder_cumulant"]
    assert 0 < U["stderr"] < 0.05
    assert abs(U["mean"]) < 5 * U["stderr"]
    expected_abs_m = sigma * math.sqrt(2 / math.pi) / L ** 2
    assert summary["abs_magnetization_per_spin"]["mean"] == pytest.approx(expected_abs_m, rel=0.05)


def test_zero_variance_gives_zero_errors():
    L, n = 5, 200
    summary = summarize(np.full(n, 7), np.full(n, 13), L, 0.8, J=1, h=0.1)
    assert_well_formed(summary, n)
    assert summary["tau_int_energy"] == 0.5
    assert summary["specific_heat_per_spin"] == {"mean": 0.0, "stderr": 0.0}
    for key in OBSERVABLES:
        assert summary[key]["stderr"] == 0.0
    assert summary["energy_per_spin"]["mean"] == pytest.approx((-13 - 0.1 * 7) / 25)


def test_frozen_antiferromagnet_has_undefined_binder_cumulant():
    L, n = 4, 100
    summary = summarize(np.zeros(n, np.int64), np.full(n, -2 * L * L), L, 3.0, J=-1)
    assert math.isnan(summary["binder_cumulant"]["mean"])
    assert math.isnan(summary["binder_cumulant"]["stderr"])
    assert summary["energy_per_spin"] == {"mean": -2.0, "stderr": 0.0}


@pytest.mark.parametrize("args, match", [
    (([5], [3], 4, 0.5), "at least 2"),
    (([], [], 4, 0.5), "at least 2"),
    (([1, 2, 3], [1, 2], 4, 0.5), "one entry per sweep"),
    (([1, 2], [1, 2], 0, 0.5), "positive integer"),
    (([1, 2], [1, 2], 2.5, 0.5), "positive integer"),
    (([1, 2], [1, 2], True, 0.5), "positive integer"),
    (([1, 2], [1, 2], 4, math.nan), "beta"),
    (([1, 2], [1, 2], 4, 0.5, 1, math.inf), "h must be finite"),
    (([17, 2], [1, 2], 4, 0.5), "is L right"),
    (([1, 2], [1, 33], 4, 0.5), "is L right"),
    (([[1, 2]], [[1, 2]], 4, 0.5), "one-dimensional"),
    (([1, 2], [1, np.nan], 4, 0.5), "NaN"),
])
def test_summarize_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        summarize(*args)
