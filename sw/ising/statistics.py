"""Monte Carlo statistics that account for autocorrelation between successive sweeps.

Successive sweeps of a Markov chain are correlated, so the naive error σ/√n of a sample mean is
too small by a factor √(2τ_int). This module estimates τ_int (Sokal's windowed estimator), uses
it for the errors of plain means, and uses a blocked jackknife for nonlinear estimators such as
the specific heat (a variance) and the Binder cumulant (a ratio of moments).

Everything is computed in float64. Observables are normalised per spin before they are raised
to powers: M⁴ for L = 1024 is ~1.2e24, which overflows int64, whereas m⁴ = (M/N)⁴ ≤ 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["tau_int", "mean_stderr", "auto_n_blocks", "jackknife", "summarize"]

MAX_BLOCKS = 50


def _as_series(x, name: str = "series") -> np.ndarray:
    """``x`` as a 1-D float64 array of at least two finite samples, or ``ValueError``."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size < 2:
        raise ValueError(f"{name} needs at least 2 samples, got {a.size}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def _is_constant(a: np.ndarray) -> bool:
    # Tested exactly: the mean of a constant series can differ from it in the last bit, and
    # that rounding would otherwise show up as a tiny non-zero variance.
    return bool(np.all(a == a[0]))


def tau_int(x, c: float = 6.0) -> float:
    """Integrated autocorrelation time of the series ``x``, in units of samples.

    Uses the convention τ_int = 1/2 + Σ_{t=1}^{W} ρ(t), so uncorrelated samples give 0.5 and
    the variance of the sample mean is 2·τ_int·σ²/n. The normalised autocorrelation ρ(t) is
    computed by FFT (zero-padded, so there is no wrap-around). The window W is Sokal's
    automatic choice: the smallest W ≥ 1 with W ≥ c·τ_int(W). If no window qualifies, the
    series is too short for a reliable estimate and the largest window is used.

    A constant series returns 0.5. The result is clipped at 0: strongly anti-correlated data
    can drive the windowed sum negative, but a variance 2·τ_int·σ²/n cannot be.

    Raises ``ValueError`` for fewer than 2 samples, non-finite values, or c ≤ 0.
    """
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"window factor c must be finite and positive, not {c!r}")
    a = _as_series(x)
    if _is_constant(a):
        return 0.5
    n = a.size
    d = a - a.mean()
    nfft = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(d, nfft)
    acov = np.fft.irfft(f.real ** 2 + f.imag ** 2, nfft)[:n]
    if not acov[0] > 0:
        return 0.5
    rho = acov / acov[0]
    taus = 0.5 + np.cumsum(rho[1:])  # taus[W - 1] = τ_int(W)
    windows = np.arange(1, n)
    qualifying = np.flatnonzero(windows >= c * taus)
    w = qualifying[0] if qualifying.size else n - 2
    return float(max(taus[w], 0.0))


def mean_stderr(x, tau: float | None = None) -> tuple[float, float]:
    """(mean, standard error) of the series ``x``, corrected for autocorrelation.

    stderr = √(2·τ_int·var/n), where var is the sample variance with ddof = 0 (the ddof = 1
    correction is O(1/n), far below the uncertainty of τ_int itself) and τ_int comes from
    ``tau_int`` unless given as ``tau``. A constant series has stderr exactly 0.
    """
    a = _as_series(x)
    if _is_constant(a):
        return float(a[0]), 0.0
    if tau is None:
        tau = tau_int(a)
    elif not (math.isfinite(tau) and tau >= 0):
        raise ValueError(f"tau must be finite and non-negative, not {tau!r}")
    return float(a.mean()), math.sqrt(2.0 * tau * a.var() / a.size)


def auto_n_blocks(n: int, tau: float) -> int:
    """Number of jackknife blocks for ``n`` samples with autocorrelation time ``tau``.

    min(50, n // ceil(4·τ)), and at least 2. Samples about 2τ apart are effectively
    independent, so blocks of ≥ 4τ hold at least two of them each and neighbouring block means
    are nearly uncorrelated. Beyond 50 blocks the error of the error (~1/√(2(k−1)) ≈ 10 %)
    barely improves, while longer blocks keep shrinking the residual block-to-block correlation.
    """
    length = max(1, math.ceil(4.0 * tau))
    return max(2, min(MAX_BLOCKS, n // length))


def jackknife(estimator: Callable[..., np.ndarray | float], *series,
              n_blocks: int | None = None) -> tuple[float, float]:
    """(estimate, standard error) of a function of sample means, by blocked jackknife.

    ``estimator`` maps the means of the given series (one argument per series) to the
    quantity of interest, e.g. ``lambda a, b: b - a**2`` for a variance from the series
    x and x². It is called once with the full-sample means and once with arrays holding the
    k leave-one-block-out means, so it must work elementwise on NumPy arrays.

    The series are cut into k contiguous blocks of (nearly) equal length; k defaults to
    ``auto_n_blocks(n, τ)`` with τ the largest ``tau_int`` of the series. The estimate is the
    estimator at the full-sample means, without jackknife bias correction: that bias is O(1/n),
    far below the statistical error for any useful run length. If every series is constant the
    stderr is exactly 0.
    """
    if not series:
        raise ValueError("jackknife needs at least one series")
    xs = [_as_series(s, f"series {i}") for i, s in enumerate(series)]
    n = xs[0].size
    if any(x.size != n for x in xs):
        raise ValueError(f"all series must have the same length, got {[x.size for x in xs]}")
    if n_blocks is None:
        n_blocks = auto_n_blocks(n, max(tau_int(x) for x in xs))
    elif not (isinstance(n_blocks, (int, np.integer)) and 2 <= n_blocks <= n):
        raise ValueError(f"n_blocks must be an integer in [2, {n}], not {n_blocks!r}")

    value = float(estimator(*(x.mean() for x in xs)))
    if all(_is_constant(x) for x in xs):
        return value, 0.0

    starts = (np.arange(n_blocks) * n) // n_blocks
    kept = n - np.diff(np.append(starts, n))
    loo_means = []
    for x in xs:
        block_sums = np.add.reduceat(x, starts)
        loo_means.append((block_sums.sum() - block_sums) / kept)
    replicas = np.asarray(estimator(*loo_means), dtype=np.float64)
    if replicas.shape != (n_blocks,):
        raise TypeError("estimator must work elementwise on arrays of leave-one-out means")
    spread = np.sum((replicas - replicas.mean()) ** 2)
    return value, math.sqrt((n_blocks - 1) / n_blocks * spread)


def summarize(M, B, L: int, beta: float, J: float = 1, h: float = 0.0) -> dict:
    """Per-spin observables of an L×L periodic Ising run, with autocorrelation-aware errors.

    ``M`` = Σ s_i and ``B`` = Σ⟨ij⟩ s_i s_j (over the 2L² bonds) hold one entry per measured
    sweep. With N = L² and E = −J·B − h·M the result is a JSON-serialisable dict:

    - ``energy_per_spin``: e = E/N, mean and stderr from ``mean_stderr``;
    - ``abs_magnetization_per_spin``: |m| = |M|/N, likewise;
    - ``specific_heat_per_spin``: c = β²(⟨E²⟩ − ⟨E⟩²)/N, stderr by blocked jackknife;
    - ``binder_cumulant``: U = 1 − ⟨m⁴⟩/(3⟨m²⟩²), stderr by blocked jackknife. U is undefined
      (NaN) when M = 0 in every sample, as in a frozen antiferromagnet;
    - ``tau_int_energy``: τ_int of the energy series, in sweeps;
    - ``samples``: the number of sweeps.

    The observables are {"mean": float, "stderr": float}; all numbers are plain Python floats.
    Raises ``ValueError`` for fewer than 2 samples, mismatched series, bad parameters, or
    values of M and B impossible on an L×L lattice (usually a wrong L).
    """
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"lattice size L must be a positive integer, not {L!r}")
    for name, value in (("beta", beta), ("J", J), ("h", h)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, not {value!r}")
    M = _as_series(M, "M")
    B = _as_series(B, "B")
    if M.size != B.size:
        raise ValueError(f"M and B must have one entry per sweep, got {M.size} and {B.size}")
    N = int(L) * int(L)
    if np.abs(M).max() > N or np.abs(B).max() > 2 * N:
        raise ValueError(f"|M| ≤ {N} and |B| ≤ {2 * N} on a {L}×{L} lattice; is L right?")

    m = M / N
    e = (-J * B - h * M) / N
    tau_e = tau_int(e)
    e_mean, e_err = mean_stderr(e, tau_e)
    m_mean, m_err = mean_stderr(np.abs(m))

    # Variance from deviations about a sample value: shifting leaves it unchanged and avoids
    # the cancellation in ⟨e²⟩ − ⟨e⟩² when the spread is tiny compared with |e|.
    d = e - e[0]
    c_mean, c_err = jackknife(lambda d1, d2: beta ** 2 * N * (d2 - d1 ** 2), d, d * d)

    m2 = m * m
    if np.any(m2):
        # A leave-one-block-out replica can still see ⟨m²⟩ = 0; it yields NaN, not a warning.
        with np.errstate(divide="ignore", invalid="ignore"):
            u_mean, u_err = jackknife(lambda a, b: 1.0 - b / (3.0 * a * a), m2, m2 * m2)
    else:
        u_mean = u_err = math.nan

    return {
        "energy_per_spin": {"mean": e_mean, "stderr": e_err},
        "abs_magnetization_per_spin": {"mean": m_mean, "stderr": m_err},
        "specific_heat_per_spin": {"mean": float(c_mean), "stderr": float(c_err)},
        "binder_cumulant": {"mean": float(u_mean), "stderr": float(u_err)},
        "tau_int_energy": float(tau_e),
        "samples": int(M.size),
    }


def summarize_sums(sums: dict, M, B, L: int, beta: float, J: float = 1, h: float = 0.0,
                   every: int = 1) -> dict:
    """:func:`summarize` for a run with on-chip sums (``hw.ising.sums_spec``): the means come
    from the exact sums over every measured sweep, the errors (and τ_int, scaled by ``every``)
    from the decimated records ``M`` and ``B`` (every ``every``-th sweep). A decimated series
    is a subsample, so its errors are those of its own mean: an upper estimate of the full
    run's."""
    from fractions import Fraction
    result = summarize(M, B, L, beta, J, h)
    n, count = int(L) * int(L), int(sums["count"])
    if count < 2:
        raise ValueError(f"the sums hold {count} records; at least 2 are needed")

    def mean(name):
        return Fraction(int(sums[name]), count)

    J, h = Fraction(J), Fraction(h)
    e = -J * mean("b") - h * mean("m")
    e2 = J * J * mean("b2") + 2 * J * h * mean("bm") + h * h * mean("m2")
    exact = {"energy_per_spin": e / n, "abs_magnetization_per_spin": mean("abs_m") / n,
             "specific_heat_per_spin": Fraction(beta) ** 2 * (e2 - e * e) / n}
    m2 = mean("m2")
    exact["binder_cumulant"] = 1 - mean("m4") / (3 * m2 * m2) if m2 else None
    for key, value in exact.items():
        result[key] = {**result[key], "mean": None if value is None else float(value)}
    result["tau_int_energy"] = result["tau_int_energy"] * every
    result["samples"] = count
    return result
