"""Plots of Ising observables against the exact solutions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .exact import (T_CRITICAL, finite_energy_per_spin, finite_specific_heat_per_spin,
                    onsager_energy_per_spin, yang_magnetization)

__all__ = ["plot_sweep"]


def plot_sweep(points: list[dict], size: int, path: Path) -> None:
    """Four panels, ⟨|m|⟩, ⟨e⟩, c and the Binder cumulant against T, with exact curves overlaid
    (Kaufman's finite-L energy and specific heat at h = 0, Onsager's and Yang's L → ∞ values)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    temps = np.array([1 / p["parameters"]["beta"] for p in points])
    curve_t = np.linspace(temps.min(), temps.max(), 300)
    zero_field = all(p["parameters"]["field"] == 0 for p in points)
    coupling = points[0]["parameters"]["coupling"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    panels = [("abs_magnetization_per_spin", "⟨|m|⟩"), ("energy_per_spin", "⟨e⟩"),
              ("specific_heat_per_spin", "c"), ("binder_cumulant", "Binder U")]
    for ax, (key, label) in zip(axes.flat, panels):
        mean = np.array([p[key]["mean"] for p in points], dtype=float)  # None -> nan
        err = np.array([p[key]["stderr"] for p in points], dtype=float)
        ax.errorbar(temps, mean, yerr=err, fmt="o", ms=4, capsize=2,
                    label=f"{points[0]['backend']}, L={size}")
        ax.set_ylabel(label)
        ax.axvline(T_CRITICAL, color="grey", lw=0.8, ls=":")
    if zero_field:
        betas = 1 / curve_t
        if size % 2 == 0:
            axes[0, 1].plot(curve_t, [finite_energy_per_spin(size, b, coupling) for b in betas],
                            "k-", lw=1, label=f"exact, L={size} (Kaufman)")
            axes[1, 0].plot(curve_t, [finite_specific_heat_per_spin(size, b, coupling)
                                      for b in betas], "k-", lw=1, label=f"exact, L={size}")
        axes[0, 1].plot(curve_t, [onsager_energy_per_spin(b, coupling) for b in betas], "C3--",
                        lw=1, label="Onsager, L=∞")
        if coupling == 1:
            axes[0, 0].plot(curve_t, [yang_magnetization(b) for b in betas], "C3--", lw=1,
                            label="Yang, L=∞")
    axes[1, 1].axhline(2 / 3, color="grey", lw=0.8, ls="--", label="ordered limit 2/3")
    for ax in axes.flat:
        ax.legend(fontsize=8)
    for ax in axes[1]:
        ax.set_xlabel("T")
    fig.suptitle(f"2D Ising, L={size}: {points[0]['backend']} backend vs exact")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
