"""The JSON summary of a parallel-tempering run (``bitspin ising temper``, shared/design.md)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict

import numpy as np

from .report import lattice_sha256
from .statistics import jackknife, mean_stderr, summarize
from .tempering import TemperConfig, TemperRun

__all__ = ["temper_summary"]

_OBSERVABLES = ("energy_per_spin", "abs_magnetization_per_spin", "specific_heat_per_spin")


def _combined(estimates: list[dict]) -> dict:
    """The mean of independent copies' estimates, its error from theirs."""
    means = [e["mean"] for e in estimates]
    errors = [e["stderr"] for e in estimates]
    return {"mean": float(np.mean(means)),
            "stderr": math.sqrt(sum(x * x for x in errors)) / len(errors)}


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _overlap(q: np.ndarray) -> dict:
    """⟨q²⟩ and the overlap's Binder cumulant ½(3 − ⟨q⁴⟩/⟨q²⟩²), with errors."""
    q2 = q * q
    mean, err = mean_stderr(q2)
    if np.any(q2):
        with np.errstate(divide="ignore", invalid="ignore"):
            g, g_err = jackknife(lambda a, b: 0.5 * (3 - b / (a * a)), q2, q2 * q2)
    else:
        g = g_err = math.nan
    return {"q2": {"mean": mean, "stderr": err},
            "binder_q": {"mean": _finite(float(g)), "stderr": _finite(float(g_err))}}


def temper_summary(backend: str, config: TemperConfig, run: TemperRun) -> dict:
    """Per-temperature observables (errors aware of autocorrelation), exchange figures, hashes."""
    temperatures = sorted(config.temperatures)
    replicas = []
    for t, temperature in enumerate(temperatures):
        per_copy = [summarize(run.observables[:, c, t, 0], run.observables[:, c, t, 1],
                              config.size, 1 / temperature, config.coupling, config.field)
                    for c in range(config.copies)]
        entry = {"temperature": temperature,
                 **{key: _combined([stats[key] for stats in per_copy]) for key in _OBSERVABLES},
                 "tau_int_energy": max(stats["tau_int_energy"] for stats in per_copy),
                 "final_lattice_sha256": lattice_sha256(run.final_lattices[0][t])}
        if config.copies == 2:
            entry["final_lattice_sha256_copy1"] = lattice_sha256(run.final_lattices[1][t])
            if run.overlaps is not None and len(run.overlaps) >= 2:
                entry.update(_overlap(run.overlaps[:, t]))
        replicas.append(entry)
    acceptance = [float(a / p) if p else None for a, p in zip(run.accepted, run.proposed)]
    parameters = {key: value for key, value in asdict(config).items() if key != "temperatures"}
    return {
        "backend": backend,
        "parameters": {**parameters, "temperatures": temperatures},
        "replicas": replicas,
        "exchange_acceptance": acceptance,
        "round_trips": int(run.round_trips),
        "observables_sha256": hashlib.sha256(
            np.ascontiguousarray(run.observables, dtype="<i8").tobytes()).hexdigest(),
        "observables_layout": "int64 [measured sweep][copy][temperature, ascending][M, B]",
        "acceptance_rate": run.flips / run.updates,
        "spin_updates_per_ns": run.updates / run.elapsed_s / 1e9 if run.elapsed_s else None,
        "elapsed_s": run.elapsed_s,
        "sampler": run.sampler,
        **_device_figures(run),
    }


def _device_figures(run: TemperRun) -> dict:
    """On a device: its compute clocks, the rate at its clock, and the table rewrites."""
    cycles = run.extra.get("device_cycles")
    if not cycles:
        return {}
    clock = run.extra["device_clock_hz"]
    return {**run.extra, "device_spin_updates_per_ns": run.updates / (cycles / clock) / 1e9}
