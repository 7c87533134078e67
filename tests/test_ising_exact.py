"""Exact 2D Ising results: Kaufman's torus against enumeration, Onsager and Yang limits."""

import math

import numpy as np
import pytest

from bitspin.sw.ising import exact

BETAS = [0.1, 0.3, 0.42, exact.BETA_CRITICAL, 0.46, 0.7, 1.5]


def rel(a, b):
    return abs(a - b) / abs(b)


def test_critical_point():
    assert math.isclose(math.sinh(2 / exact.T_CRITICAL), 1.0, rel_tol=1e-15)
    assert math.isclose(exact.T_CRITICAL, 2.269185314213022, rel_tol=1e-15)
    assert exact.BETA_CRITICAL * exact.T_CRITICAL == pytest.approx(1.0, rel=1e-15)


# --- Kaufman's torus against exhaustive enumeration ------------------------------------------

@pytest.mark.parametrize("J", [1, -1])
@pytest.mark.parametrize("L", [2, 4])
@pytest.mark.parametrize("beta", BETAS)
def test_kaufman_matches_brute_force(L, beta, J):
    # L = 2 included: Kaufman's torus counts each bond twice there, exactly like the hardware.
    # J = -1 is enumerated directly, so this also checks the gauge equivalence.
    bf = exact.brute_force(L, beta, J)
    assert rel(exact.kaufman_log_partition(L, beta, J), bf["log_partition"]) < 1e-13
    assert rel(exact.finite_energy_per_spin(L, beta, J), bf["energy_per_spin"]) < 1e-12
    assert rel(exact.finite_specific_heat_per_spin(L, beta, J),
               bf["specific_heat_per_spin"]) < 1e-9


@pytest.mark.parametrize("beta", [3.0, 4.0])
def test_low_temperature_specific_heat_keeps_relative_accuracy(beta):
    # c ~ e^{-8β} here, far below the size of the terms it is summed from
    bf = exact.brute_force(4, beta)
    assert bf["specific_heat_per_spin"] < 1e-7
    assert rel(exact.finite_specific_heat_per_spin(4, beta), bf["specific_heat_per_spin"]) < 1e-6


def test_odd_torus_antiferromagnet_is_frustrated():
    # why odd L is refused: without the gauge map J = -1 has a different partition function
    plus, minus = exact.brute_force(3, 0.5, 1), exact.brute_force(3, 0.5, -1)
    assert minus["log_partition"] < plus["log_partition"] - 0.1


@pytest.mark.parametrize("beta", [0.3, exact.BETA_CRITICAL, 0.6, 2.0])
def test_derivatives_agree_with_finite_differences_on_a_large_torus(beta):
    L, step = 64, 1e-4
    n = L * L
    log_z = [exact.kaufman_log_partition(L, beta + k * step) for k in (-2, -1, 1, 2)]
    energy = [exact.finite_energy_per_spin(L, beta + k * step) for k in (-2, -1, 1, 2)]
    # fourth-order central differences: error ~ step⁴ · (fifth derivative)
    d_log_z = (log_z[0] - 8 * log_z[1] + 8 * log_z[2] - log_z[3]) / (12 * step)
    d_energy = (energy[0] - 8 * energy[1] + 8 * energy[2] - energy[3]) / (12 * step)
    e = exact.finite_energy_per_spin(L, beta)
    c = exact.finite_specific_heat_per_spin(L, beta)
    assert rel(-d_log_z / n, e) < 1e-9
    assert rel(-beta ** 2 * d_energy, c) < 1e-6


def test_large_torus_is_finite_and_consistent():
    for beta in (0.05, exact.BETA_CRITICAL, 5.0):
        log_z = exact.kaufman_log_partition(1024, beta)
        e = exact.finite_energy_per_spin(1024, beta)
        c = exact.finite_specific_heat_per_spin(1024, beta)
        assert all(map(math.isfinite, (log_z, e, c)))
        assert -2.0 <= e < 0.0 and c > 0.0
        # log Z/N lies between the β = 0 entropy and the ground state, log 2 and 2β
        assert 2 * beta <= log_z / 1024 ** 2 < math.log(2) + 2 * beta


# --- infinite-lattice limits ------------------------------------------------------------------

@pytest.mark.parametrize("T", [2.0, 3.0])
def test_finite_torus_converges_to_onsager(T):
    beta = 1 / T
    e_inf = exact.onsager_energy_per_spin(beta)
    assert abs(exact.finite_energy_per_spin(256, beta) - e_inf) < 1e-4
    assert abs(exact.finite_specific_heat_per_spin(256, beta)
               - exact.onsager_specific_heat_per_spin(beta)) < 1e-4
    gaps = [abs(exact.finite_energy_per_spin(L, beta) - e_inf) for L in (4, 8, 16, 32, 64)]
    assert all(a > b for a, b in zip(gaps, gaps[1:]))


def test_onsager_energy_known_values():
    assert exact.onsager_energy_per_spin(exact.BETA_CRITICAL) == pytest.approx(-math.sqrt(2),
                                                                              rel=1e-12)
    assert exact.onsager_energy_per_spin(8.0) == pytest.approx(-2.0, rel=1e-12)
    # high-temperature series, with t = tanh β: log Z/N = log 2 + 2 log cosh β + t⁴ + O(t⁶),
    # the t⁴ from the N elementary plaquettes
    t = math.tanh(1e-3)
    assert exact.onsager_energy_per_spin(1e-3) == pytest.approx(-2 * t - 4 * t ** 3 * (1 - t * t),
                                                                rel=1e-10)
    assert exact.onsager_energy_per_spin(0.4, J=-1) == exact.onsager_energy_per_spin(0.4)


@pytest.mark.parametrize("beta", [0.1, 0.3, 0.43, 0.45, 0.8, 2.0])
def test_onsager_specific_heat_is_the_energy_derivative(beta):
    step = 1e-4
    e = [exact.onsager_energy_per_spin(beta + k * step) for k in (-2, -1, 1, 2)]
    de = (e[0] - 8 * e[1] + 8 * e[2] - e[3]) / (12 * step)
    assert rel(-beta ** 2 * de, exact.onsager_specific_heat_per_spin(beta)) < 1e-6


@pytest.mark.parametrize("beta", [2.0, 4.0])
def test_onsager_specific_heat_at_low_temperature(beta):
    # the 64×64 torus is the infinite lattice to double precision here, and c ~ e^{-8β} is
    # tiny next to the terms of either formula
    finite = exact.finite_specific_heat_per_spin(64, beta)
    assert rel(exact.onsager_specific_heat_per_spin(beta), finite) < 1e-6


def test_onsager_specific_heat_diverges_at_critical_point():
    assert exact.onsager_specific_heat_per_spin(exact.BETA_CRITICAL) == math.inf
    near = [exact.onsager_specific_heat_per_spin(exact.BETA_CRITICAL * (1 + d))
            for d in (1e-2, 1e-4, 1e-6)]
    assert near[0] < near[1] < near[2]


def test_yang_magnetization():
    for beta in (0.0, 0.2, 1 / 2.3, exact.BETA_CRITICAL):
        assert exact.yang_magnetization(beta) == 0.0
    expected = (1 - 1 / math.sinh(2 / 2.0) ** 4) ** (1 / 8)
    assert exact.yang_magnetization(1 / 2.0) == pytest.approx(expected, rel=1e-14)
    assert exact.yang_magnetization(1 / 2.0) == pytest.approx(0.911319, abs=1e-6)
    assert exact.yang_magnetization(1 / 2.0, J=-1) == exact.yang_magnetization(1 / 2.0)
    assert exact.yang_magnetization(10.0) == pytest.approx(1.0, abs=1e-15)
    assert 0 < exact.yang_magnetization(exact.BETA_CRITICAL * (1 + 1e-9)) < 0.2


def test_specific_heat_peaks_near_critical_temperature():
    temperatures = np.arange(2.20, 2.40, 0.001)

    def peak(L):
        heat = [exact.finite_specific_heat_per_spin(L, 1 / T) for T in temperatures]
        return temperatures[int(np.argmax(heat))]

    peaks = [peak(L) for L in (16, 32, 64)]
    assert 2.25 < peaks[1] < 2.30
    # the peak moves down towards T_c as the torus grows
    assert peaks[0] > peaks[1] > peaks[2] > exact.T_CRITICAL


# --- enumeration on its own -------------------------------------------------------------------

def test_brute_force_infinite_temperature():
    for L in (2, 3, 4):
        n = L * L
        bf = exact.brute_force(L, 0.0)
        assert bf["log_partition"] == pytest.approx(n * math.log(2), rel=1e-15)
        assert bf["energy_per_spin"] == pytest.approx(0.0, abs=1e-15)
        assert bf["specific_heat_per_spin"] == 0.0
        assert bf["magnetization_squared"] == pytest.approx(1 / n, rel=1e-13)
        # independent spins: ⟨M⁴⟩ = 3n² - 2n, so U = 2/(3n)
        assert bf["binder_cumulant"] == pytest.approx(2 / (3 * n), rel=1e-12)


def test_brute_force_binder_cumulant_tends_to_two_thirds_when_ordered():
    cold = exact.brute_force(4, 3.0)
    assert cold["binder_cumulant"] == pytest.approx(2 / 3, abs=1e-6)
    assert cold["abs_magnetization_per_spin"] == pytest.approx(1.0, abs=1e-6)
    assert cold["energy_per_spin"] == pytest.approx(-2.0, abs=1e-6)
    hot = exact.brute_force(4, 0.2)
    assert hot["binder_cumulant"] < cold["binder_cumulant"]


def test_brute_force_field():
    up, down = exact.brute_force(3, 0.4, h=0.3), exact.brute_force(3, 0.4, h=-0.3)
    assert up["log_partition"] == pytest.approx(down["log_partition"], rel=1e-14)
    assert up["log_partition"] > exact.brute_force(3, 0.4)["log_partition"]
    # a strong field saturates the magnetization even for the antiferromagnet
    strong = exact.brute_force(4, 2.0, J=-1, h=10.0)
    assert strong["abs_magnetization_per_spin"] == pytest.approx(1.0, abs=1e-9)


# --- input validation -------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: exact.kaufman_log_partition(5, 0.4), "even"),
    (lambda: exact.kaufman_log_partition(0, 0.4), "at least 2"),
    (lambda: exact.finite_energy_per_spin(2.0, 0.4), "integer"),
    (lambda: exact.finite_specific_heat_per_spin(True, 0.4), "integer"),
    (lambda: exact.kaufman_log_partition(4, 0.0), "positive"),
    (lambda: exact.kaufman_log_partition(4, -1.0), "positive"),
    (lambda: exact.kaufman_log_partition(4, math.nan), "finite"),
    (lambda: exact.finite_energy_per_spin(4, math.inf), "finite"),
    (lambda: exact.kaufman_log_partition(4, "0.4"), "real"),
    (lambda: exact.kaufman_log_partition(4, 0.4, J=0), "coupling"),
    (lambda: exact.finite_specific_heat_per_spin(4, 0.4, J=2), "coupling"),
    (lambda: exact.onsager_energy_per_spin(0.0), "positive"),
    (lambda: exact.onsager_energy_per_spin(101.0), "at most 100"),
    (lambda: exact.finite_energy_per_spin(4, 1e3), "at most 100"),
    (lambda: exact.onsager_specific_heat_per_spin(0.4, J=0.5), "coupling"),
    (lambda: exact.yang_magnetization(-0.1), "non-negative"),
    (lambda: exact.brute_force(5, 0.4), "from 1 to 4"),
    (lambda: exact.brute_force(0, 0.4), "from 1 to 4"),
    (lambda: exact.brute_force(2, -0.4), "non-negative"),
    (lambda: exact.brute_force(2, 0.4, J=3), "coupling"),
    (lambda: exact.brute_force(2, 0.4, h=math.nan), "field"),
])
def test_invalid_input_is_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()
