"""The JSON summary of an Ising run, as the CLI contract in shared/design.md defines it."""

from __future__ import annotations

import hashlib

import numpy as np

from .backends import RunConfig
from .result import SamplerRun
from .statistics import summarize, summarize_sums

__all__ = ["run_summary", "lattice_sha256", "observables_sha256"]


def lattice_sha256(lattice: np.ndarray) -> str:
    """SHA-256 of the L×L uint8 lattice, 1 = up, row-major."""
    return hashlib.sha256(np.ascontiguousarray(lattice, dtype=np.uint8).tobytes()).hexdigest()


def observables_sha256(magnetization: np.ndarray, bond_sum: np.ndarray) -> str:
    """SHA-256 of the little-endian int64 array [M_1, B_1, M_2, B_2, ...]."""
    pairs = np.stack([np.asarray(magnetization), np.asarray(bond_sum)], axis=1)
    return hashlib.sha256(pairs.astype("<i8").tobytes()).hexdigest()


def _finite_or_none(stat: dict) -> dict:
    # A Binder cumulant of a run whose M is always 0 is 0/0; strict JSON has no NaN.
    return {key: (None if isinstance(v, float) and v != v else v) for key, v in stat.items()}


def run_summary(backend: str, config: RunConfig, result: SamplerRun) -> dict:
    """Observables with autocorrelation-aware errors, hashes and throughput."""
    sums = getattr(result, "sums", None)
    if sums is not None:
        stats = summarize_sums(sums, result.magnetization, result.bond_sum, config.size,
                               config.beta, config.coupling, config.field, result.observe_every)
    else:
        stats = summarize(result.magnetization, result.bond_sum, config.size, config.beta,
                          config.coupling, config.field)
    stats["binder_cumulant"] = _finite_or_none(stats["binder_cumulant"])
    return {
        "backend": backend,
        "parameters": config.as_dict(),
        **{key: stats[key] for key in ("energy_per_spin", "abs_magnetization_per_spin",
                                       "specific_heat_per_spin", "binder_cumulant",
                                       "tau_int_energy")},
        "measured_sweeps": int(stats["samples"]),
        "acceptance_rate": result.flips / result.updates,
        "final_lattice_sha256": lattice_sha256(result.final_lattice),
        "observables_sha256": observables_sha256(result.magnetization, result.bond_sum),
        "spin_updates_per_ns": result.updates / result.elapsed_s / 1e9 if result.elapsed_s else None,
        "elapsed_s": result.elapsed_s,
        **({"sampler": result.sampler} if result.sampler else {}),
        **({"threads": result.threads} if result.threads is not None else {}),
        **_device_figures(result),
        **_sums_figures(result),
    }


def _sums_figures(result) -> dict:
    """With on-chip sums: the decimation, the sums, and what the hash covers."""
    sums = getattr(result, "sums", None)
    if sums is None:
        return {}
    return {"observe_every": result.observe_every,
            "observables_sha256_covers": f"every {result.observe_every}th measured sweep",
            "sums": {name: int(value) for name, value in sums.items()},
            "statistics_source": "means from the on-chip sums over every measured sweep; "
                                 "errors from the decimated records"}


def _device_figures(result) -> dict:
    """For a device run: its own count of compute clocks, the clocks it waited for the host,
    and the rate at the design clock (the host's elapsed time above includes the link and, on a
    virtual board, the simulator)."""
    cycles = getattr(result, "device_cycles", None)
    if not cycles:
        return {}
    clock = result.device_clock_hz
    return {"device_cycles": cycles, "device_clock_hz": clock,
            "device_stall_cycles": getattr(result, "device_stall_cycles", None),
            "device_spin_updates_per_ns": result.updates / (cycles / clock) / 1e9}
