"""The picture of a parallel-tempering run: observables against temperature (with the exact values
where they are known), the exchange acceptance of each adjacent pair, and the walk of the
replicas through the temperatures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_temper"]

WALK_ROUNDS = 200   # more rounds than this blur into a solid band


def plot_temper(summary: dict, walks: np.ndarray, path: Path, exact: dict | None = None) -> None:
    """Four panels from ``temper_summary``'s ``summary`` and the run's ``walks``
    ([rounds + 1, copies, R], the slot at each temperature); ``exact``: per quantity, the
    exact value at each temperature (or None)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    replicas = summary["replicas"]
    temps = np.array([r["temperature"] for r in replicas])
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for ax, key, label in ((axes[0, 0], "energy_per_spin", "⟨e⟩"),
                           (axes[0, 1], "specific_heat_per_spin", "c")):
        mean = np.array([r[key]["mean"] for r in replicas])
        err = np.array([r[key]["stderr"] for r in replicas])
        ax.errorbar(temps, mean, yerr=err, fmt="o", ms=4, capsize=2,
                    label=summary["backend"])
        if exact and exact.get(key) is not None:
            ax.plot(temps, exact[key], "kx", ms=7, label="exact (enumeration)")
        ax.set_xlabel("T")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    middle = (temps[:-1] + temps[1:]) / 2
    acceptance = np.array([np.nan if a is None else a for a in summary["exchange_acceptance"]])
    axes[1, 0].bar(middle, acceptance, width=0.8 * np.diff(temps).min(), color="C2")
    axes[1, 0].set_xlabel("T (between the pair's temperatures)")
    axes[1, 0].set_ylabel("exchange acceptance")
    axes[1, 0].set_ylim(0, 1)
    # The walk: for copy 0, the temperature each slot holds after each of the first rounds.
    rounds, R = min(walks.shape[0], WALK_ROUNDS), walks.shape[2]
    held = np.empty((rounds, R))
    for n in range(rounds):
        held[n, walks[n, 0] % R] = temps
    shown = min(R, 4)
    for slot in np.linspace(0, R - 1, shown).astype(int):
        axes[1, 1].step(np.arange(rounds), held[:, slot], lw=0.8, where="post",
                        label=f"lattice {slot}")
    axes[1, 1].set_xlabel("exchange round")
    axes[1, 1].set_ylabel("T held")
    axes[1, 1].legend(fontsize=8)
    parameters = summary["parameters"]
    fig.suptitle(f"Parallel tempering, L={parameters['size']}, {len(temps)} temperatures, "
                 f"{summary['round_trips']} round trips ({summary['backend']})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
