"""Ising benchmark: the same workload (L, sweeps) on the fast CPU/GPU references, on a device,
and projected from simulated cycles × a post-route fmax; cycles per sweep and lane utilization
from Verilator.

Energy fields are null ("not measured") unless a meter or a stated power is given
(``bitspin.sw.bench.meters``).
"""

from __future__ import annotations

import math

import time

from bitspin.hw.ising.params import IsingParams

from .backends import (Progress, announce_build, gpu_missing, machine, projected_fmax,
                       set_threads, strongest, torch_threads)
from .meters import backend_meters, check_meters
from .options import DEFAULT_ISING_BOARD, BenchOptions
from .report import Report
from .spread import spread

__all__ = ["run", "simulate_core", "fast_reference", "msc_reference", "msc_benchmark_run",
           "strongest_cpu", "strongest_gpu",
           "device_runs", "projected", "fast_energy",
           "NOT_MEASURED"]

NOT_MEASURED = {"energy_per_update_nj": None, "energy_source": "not measured"}


def simulate_core(size: int, lanes: int, sweeps: int) -> dict:
    """Run the core in Verilator (no per-clock Python) and read its cycle counters."""
    from bitspin.hw.ising.core import IsingCore
    from bitspin.sim import simulate
    from bitspin.sw.ising.thresholds import threshold_table
    params = IsingParams(size, lanes)
    result = simulate(IsingCore(params), test_module="bitspin.sim.benches.ising_core",
                      simulator="verilator", testcase="throughput",
                      args={"sweeps": sweeps, "threshold_bits": params.k + 1,
                            "thresholds": [int(t) for t in threshold_table(0.44)]})
    out = result.outputs
    # The run ends with one read-only pass that measures the state after the last sweep.
    measure_pass = params.measure_pass_cycles
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
    """Spin updates per ns of the general checkerboard sampler (torch): min, median and max
    over ``repeats`` runs."""
    import torch

    from bitspin.sw.ising.fast import benchmark_flips_per_ns
    rates = [benchmark_flips_per_ns(size, sweeps=sweeps, device=device) for _ in range(repeats)]
    return {"size": size, "device": device, "sweeps": sweeps, "sampler": f"checkerboard (torch, "
            f"{device})", "threads": torch.get_num_threads() if device == "cpu" else None,
            **spread("spin_updates_per_ns", rates), "repeats": repeats, **NOT_MEASURED}


def msc_benchmark_run(size: int, device: str = "cpu", sweeps: int | None = None,
                      threads: int | None = None):
    """The multi-spin-coded benchmark workload (Metropolis at the critical temperature, every
    sweep measured, as on the device), warmed up: ``(sweeps, run)`` where ``run(seed)`` returns
    a SamplerRun. The numba sampler on the CPU (``threads``), the torch one elsewhere; ``sweeps``
    defaults to about 2^25 spin updates (2^27 on a GPU, which needs more work to fill)."""
    from bitspin.sw.ising.exact import BETA_CRITICAL
    from bitspin.sw.ising.msc import run_msc
    from bitspin.sw.ising.msc_torch import run_msc_torch
    sweeps = sweeps or max(20, (1 << (25 if device == "cpu" else 27)) // (size * size))

    def run(seed: int, sweeps: int = sweeps):
        if device == "cpu":
            return run_msc(size, BETA_CRITICAL, sweeps=sweeps, seed=seed, threads=threads)
        return run_msc_torch(size, BETA_CRITICAL, sweeps=sweeps, seed=seed, device=device)
    if device != "cpu":
        run(0, 2)           # the CUDA context and kernels (run_msc compiles before it times)
    return sweeps, run


def msc_reference(size: int, device: str = "cpu", sweeps: int | None = None, repeats: int = 3,
                  threads: int | None = None) -> dict | None:
    """Spin updates per ns of :func:`msc_benchmark_run` (min, median and max of ``repeats``),
    or None where the multi-spin-coded samplers do not take ``size``."""
    from bitspin.sw.ising.msc import msc_unsupported
    if msc_unsupported(size) is not None:
        return None
    sweeps, run = msc_benchmark_run(size, device, sweeps, threads)
    runs = [run(1 + n) for n in range(repeats)]
    return {"size": size, "device": device, "sweeps": sweeps, "sampler": runs[0].sampler,
            "threads": runs[0].threads,
            **spread("spin_updates_per_ns", [r.updates / r.elapsed_s / 1e9 for r in runs]),
            "repeats": repeats, **NOT_MEASURED}


def strongest_gpu(size: int, sweeps: int | None, repeats: int,
                  progress: Progress = lambda line: None) -> dict:
    """The faster of the multi-spin-coded and the general torch sampler on CUDA (both kept,
    under ``msc`` and ``torch``)."""
    progress(f"gpu: multi-spin coded, L={size}")
    entries = {"msc": msc_reference(size, "cuda", sweeps, repeats)}
    progress(f"gpu: checkerboard, L={size}")
    entries["torch"] = fast_reference(size, "cuda", sweeps, repeats)
    best = max((name for name, e in entries.items() if e is not None),
               key=lambda name: entries[name]["spin_updates_per_ns"])
    return {**entries[best], "baseline": best, **entries}


def strongest_cpu(size: int, sweeps: int | None, repeats: int, threads: int | None,
                  progress: Progress = lambda line: None) -> dict:
    """The stronger of the multi-spin-coded and the torch sampler on this CPU, per core and
    per machine (see :func:`sw.bench.backends.strongest`; both kept, under ``msc`` and
    ``torch``)."""
    def measure(name: str, n: int) -> dict | None:
        if name == "msc":
            return msc_reference(size, "cpu", sweeps, repeats, n)
        with torch_threads(n):
            return fast_reference(size, "cpu", sweeps, repeats)
    return strongest(measure, ("msc", "torch"), threads, "spin_updates_per_ns", progress)


def device_runs(url: str, size: int, lanes: int, sweeps: int, repeats: int = 3,
                meter=None) -> dict:
    """``repeats`` runs of the workload on a device (``sim``: a virtual board).

    The throughput is the device's: updates / (its count of compute clocks / its clock), so the
    link's speed does not enter; the clocks it waited for the host are reported apart, with the
    host-observed rate. ``meter`` (if any) spans all repeats; see :func:`sw.bench.meters.device_energy`.
    """
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.device.ising_sampler import IsingSampler
    from bitspin.sw.energy import measure
    from bitspin.sw.ising.backends import RunConfig

    from .meters import device_energy
    params = IsingParams(size, lanes)
    config = RunConfig(size=size, lanes=lanes, sweeps=sweeps, burn_in=0)
    with open_device(url, ising=params) as device:
        sampler = IsingSampler(device)
        before = dict(device.client.stats)

        def run_all():
            runs = []
            for _ in range(repeats):
                start = time.perf_counter()
                runs.append((sampler.sample(config), time.perf_counter() - start))
            return runs
        runs, reading = measure(meter, run_all)
        stats = {k: device.client.stats[k] - before[k] for k in before}
        clock, virtual = device.clock_hz, device.virtual
    updates = sweeps * size * size
    device_rates = [updates / (run.device_cycles / clock) / 1e9 for run, _ in runs]
    host_rates = [updates / wall / 1e9 for _, wall in runs]
    cycles = [run.device_cycles for run, _ in runs]
    wall = sum(w for _, w in runs)
    return {
        "size": size, "lanes": lanes, "sweeps": sweeps, "repeats": repeats, "url": url,
        "virtual_board": virtual, "design_clock_hz": clock,
        **spread("spin_updates_per_ns", device_rates),
        "throughput_source": "the device's compute clocks (cycle counter) at its design clock"
                             + (" (a virtual board: a simulated clock)" if virtual else ""),
        "device_cycles": cycles, "device_cycles_per_sweep": cycles[0] / sweeps,
        "device_stall_cycles": [run.device_stall_cycles for run, _ in runs],
        **spread("host_spin_updates_per_ns", host_rates),
        "link_bytes_per_s": (stats["bytes_in"] + stats["bytes_out"]) / wall,
        "link_requests": stats["requests"], "link_retries": stats["retries"],
        **device_energy(reading, sum(cycles) / clock, updates * repeats, "update",
                        virtual=virtual),
    }


def projected(size: int, lanes: int, sweeps: int, cycles_per_sweep: float, fmax_mhz: float,
              board: str, fmax_source: str, meter=None, replicas: int = 1) -> dict:
    """The workload's rate on ``board``: simulated cycles × the post-route fmax of a build.
    With ``replicas`` tiles, each runs the workload on its own lattice in the same clocks
    (``hw.ising.tiles``; tests/test_ising_tiles.py checks the cycle counts)."""
    from .meters import projected_energy
    params = IsingParams(size, lanes)
    # The same run as on the device: the sweeps, then the read-only pass that measures the end.
    cycles = sweeps * cycles_per_sweep + params.measure_pass_cycles
    seconds = cycles / (fmax_mhz * 1e6)
    updates = sweeps * size * size * replicas
    rate = updates / seconds / 1e9
    return {"size": size, "lanes": lanes, "sweeps": sweeps, "board": board,
            **({"replicas": replicas} if replicas > 1 else {}),
            "fmax_mhz": fmax_mhz, "fmax_source": fmax_source,
            "cycles_per_sweep": cycles_per_sweep, "run_cycles": cycles,
            **spread("spin_updates_per_ns", [rate]),
            "throughput_source": "projected: cycles counted in Verilator × post-route fmax",
            "link": link_bound(size, cycles_per_sweep, fmax_mhz, board),
            **projected_energy(meter, seconds, updates, "update", board)}


def link_bound(size: int, cycles_per_sweep: float, fmax_mhz: float, board: str) -> dict:
    """What the board's UART lets through of the compute rate: one (M, B) record per sweep is
    8 bytes plus its share of a 256-word pop's frame, at 10 bits per byte. With on-chip sums
    (``--observe-every K``) only every K-th record crosses the link."""
    from bitspin.boards.catalog import board_by_name
    from bitspin.hw.protocol.frame_format import CRC_BYTES, HEADER_BYTES, MAX_PAYLOAD
    baud = board_by_name(board).device_baud
    records_per_frame = MAX_PAYLOAD // 8
    bytes_per_record = 8 + (HEADER_BYTES + CRC_BYTES) / records_per_frame
    records_per_s = baud / 10 / bytes_per_record
    sweeps_per_s = fmax_mhz * 1e6 / cycles_per_sweep
    every = max(1, math.ceil(sweeps_per_s / records_per_s))
    return {"baud": baud, "bytes_per_record": bytes_per_record,
            "records_per_s": records_per_s, "compute_sweeps_per_s": sweeps_per_s,
            "full_stream_spin_updates_per_ns":
                min(sweeps_per_s, records_per_s) * size * size / 1e9,
            "full_stream_fraction_of_compute": min(1.0, records_per_s / sweeps_per_s),
            "observe_every_for_compute_rate": every,
            "source": "the UART's byte rate and the frame format (an upper bound: the host's "
                      "own requests and latency are not counted)"}


def fast_energy(size: int, device: str, meter, sweeps: int | None = None,
                baseline: str = "torch", threads: int | None = None) -> dict:
    """Energy per spin update of a reference's benchmark workload (``baseline``: ``msc`` or
    ``torch``, the general sampler), from ``meter`` around one run (a warm-up run stays outside
    the window). Returns the benchmark JSON energy fields."""
    from bitspin.sw.energy import energy_fields, measure
    from bitspin.sw.ising.fast import benchmark_run
    if baseline == "msc":
        _, workload = msc_benchmark_run(size, device, sweeps, threads)

        def run():
            return workload(1)
    else:
        run = benchmark_run(size, sweeps, device)
    result, reading = measure(meter, run)
    return energy_fields(reading, result.updates, "update")


def run(options: BenchOptions, progress: Progress = lambda line: None) -> Report:
    """The Ising workload (L = ``options.size``, ``options.sweeps`` sweeps at the critical
    temperature) on each of ``options.backends``."""
    IsingParams(options.size, options.lanes, replicas=options.replicas)   # a clear error first
    set_threads(options)
    meters = backend_meters(options.meters, options.backends)
    check_meters(meters)
    announce_build(options, progress)
    report = Report(workload={"model": "ising-2d", "size": options.size, "sweeps": options.sweeps,
                              "lanes": options.lanes, "algorithm": "metropolis",
                              "beta": "critical (ln(1 + √2) / 2)", "repeats": options.repeats},
                    machine=machine())
    for name in options.backends:
        progress(f"{name}...")
        report.backends[name] = _backend(options, name, meters.get(name), progress,
                                         report.machine["cpu"])
    return report


def _backend(options: BenchOptions, name: str, meter, progress: Progress, host_cpu: str) -> dict:
    size, lanes = options.size, options.lanes
    if name in ("cpu", "gpu"):
        device = "cpu" if name == "cpu" else "cuda"
        if device == "cuda" and (missing := gpu_missing(NOT_MEASURED)):
            return missing
        import torch
        progress(f"{name}: L={size}, {options.sweeps} sweeps × {options.repeats}")
        entry = (strongest_cpu(size, options.sweeps, options.repeats, options.threads, progress)
                 if device == "cpu" else strongest_gpu(size, options.sweeps, options.repeats,
                                                       progress))
        if meter is not None:
            entry.update(fast_energy(size, device, meter, options.sweeps, entry["baseline"],
                                     entry.get("threads")))
        entry["device_name"] = torch.cuda.get_device_name() if device == "cuda" else host_cpu
        if options.sizes:
            entry["by_size"] = [strongest_cpu(s, None, options.repeats, options.threads)
                                if device == "cpu" else strongest_gpu(s, None, options.repeats)
                                for s in options.sizes]
        return entry
    if name == "device":
        progress(f"device {options.device}: L={size} P={lanes} (a virtual board builds first)")
        return device_runs(options.device, size, lanes, options.sweeps, options.repeats, meter)
    if name == "sim":
        cores = []
        for core_size, core_lanes in options.cores:
            progress(f"Verilator: L={core_size} P={core_lanes} (the first build is slow)")
            cores.append(simulate_core(core_size, core_lanes, options.sim_sweeps))
        return {"cores": cores, **NOT_MEASURED}
    board = options.board or DEFAULT_ISING_BOARD
    wanted = {"size": size, "lanes": lanes,
              **({"replicas": options.replicas} if options.replicas > 1 else {})}
    fmax, source = projected_fmax(options, "ising", wanted, board, progress)
    progress(f"Verilator: cycles of L={size} P={lanes}")
    cycles = simulate_core(size, lanes, options.sim_sweeps)["cycles_per_sweep"]
    return projected(size, lanes, options.sweeps, cycles, fmax, board, source, meter,
                     options.replicas)
