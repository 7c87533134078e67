"""Ising benchmark: cycles per sweep and lane utilization from simulation, Verilator's speed, and
the fast references' spin updates per ns.

Nothing here is an energy measurement: energy fields are null until a meter or a stated power is
given (see the benchmarks-and-energy issue).
"""

from __future__ import annotations

import platform
import time

from hw.ising.params import PASS_OVERHEAD_CYCLES, IsingParams

__all__ = ["simulate_core", "fast_reference", "NOT_MEASURED"]

NOT_MEASURED = {"energy_per_update_nj": None, "energy_source": "not measured"}


def simulate_core(size: int, lanes: int, sweeps: int) -> dict:
    """Run the core in Verilator (no per-clock Python) and read its cycle counters."""
    from hw.ising.core import IsingCore
    from sim import simulate
    from sw.ising.thresholds import threshold_table
    params = IsingParams(size, lanes)
    result = simulate(IsingCore(params), test_module="sim.benches.ising_core",
                      simulator="verilator", testcase="throughput",
                      args={"sweeps": sweeps, "threshold_bits": params.k + 1,
                            "thresholds": [int(t) for t in threshold_table(0.44)]})
    out = result.outputs
    # The run ends with one read-only pass that measures the state after the last sweep.
    measure_pass = params.steps_per_half + PASS_OVERHEAD_CYCLES
    cycles_per_sweep = (out["run_cycles"] - measure_pass) / sweeps
    updates = sweeps * size * size
    return {
        "size": size, "lanes": lanes, "sweeps": sweeps,
        "cycles_per_sweep": cycles_per_sweep,
        "ideal_cycles_per_sweep": size * size / lanes,
        "lane_utilization": out["update_cycles"] / (out["run_cycles"] - measure_pass),
        "spin_updates_per_cycle": updates / out["run_cycles"],
        "verilator_updates_per_s": updates / out["wall_s"],
        "verilator_cycles_per_s": out["run_cycles"] / out["wall_s"],
    }


def fast_reference(size: int, device: str = "cpu", sweeps: int | None = None,
                   repeats: int = 3) -> dict:
    """Spin updates per ns of the fast reference: min, median and max over ``repeats`` runs."""
    from sw.ising.fast import benchmark_flips_per_ns
    rates = sorted(benchmark_flips_per_ns(size, sweeps=sweeps, device=device)
                   for _ in range(repeats))
    return {"size": size, "device": device, "spin_updates_per_ns": rates[len(rates) // 2],
            "spin_updates_per_ns_min": rates[0], "spin_updates_per_ns_max": rates[-1],
            "repeats": repeats, **NOT_MEASURED}


def machine() -> dict:
    """Where the figures were taken."""
    import os

    import torch
    return {"host": platform.node(), "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d")}


def device_run(url: str, size: int, lanes: int, sweeps: int) -> dict:
    """A run on a device (``sim``: a virtual board): host-observed rates, link bytes, and the
    device's own cycle count (the rate at the design clock)."""
    from sw.device.connect import open_device
    from sw.device.ising_sampler import IsingSampler
    from sw.ising.backends import RunConfig
    params = IsingParams(size, lanes)
    config = RunConfig(size=size, lanes=lanes, sweeps=sweeps, burn_in=0)
    with open_device(url, ising=params) as device:
        before = dict(device.client.stats)
        start = time.perf_counter()
        result = IsingSampler(device).sample(config)
        wall = time.perf_counter() - start
        stats = {k: device.client.stats[k] - before[k] for k in before}
        clock = device.clock_hz
        virtual = device.virtual
    updates = sweeps * size * size
    return {
        "size": size, "lanes": lanes, "sweeps": sweeps, "url": url, "virtual_board": virtual,
        "host_wall_s": wall, "host_updates_per_s": updates / wall,
        "link_bytes_per_s": (stats["bytes_in"] + stats["bytes_out"]) / wall,
        "link_requests": stats["requests"], "link_retries": stats["retries"],
        "device_cycles": result.device_cycles, "design_clock_hz": clock,
        "spin_updates_per_ns_at_design_clock": updates / (result.device_cycles / clock) / 1e9,
        **NOT_MEASURED,
    }


def fast_energy(size: int, device: str, meter, sweeps: int | None = None) -> dict:
    """Energy per spin update of the fast reference's benchmark workload, from ``meter`` around
    one run (the warm-up stays outside the window). Returns the benchmark JSON energy fields."""
    from sw.energy import energy_fields, measure
    from sw.ising.fast import benchmark_run
    result, reading = measure(meter, benchmark_run(size, sweeps, device))
    return energy_fields(reading, result.updates, "update")
