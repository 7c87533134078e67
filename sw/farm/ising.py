"""A temperature sweep on the farm: point i (ascending temperature) runs with seed S + i, so it
equals ``bitspin ising run --backend golden --temperature T_i --seed S+i`` on any device."""

from __future__ import annotations

import dataclasses
from typing import Callable

from bitspin.sw.ising.backends import RunConfig

from .cluster import Farm
from .dispatch import MAX_FAILURES, Task, run_tasks

__all__ = ["farm_ising", "sweep_configs", "ising_point"]


def sweep_configs(config: RunConfig, temperatures) -> list[RunConfig]:
    """One configuration per temperature, in ascending order, with seeds S, S+1, …"""
    temperatures = sorted(float(t) for t in temperatures)
    if not temperatures:
        raise ValueError("the sweep needs at least one temperature")
    configs = [dataclasses.replace(config, beta=1 / t, seed=config.seed + i, threads=None)
               for i, t in enumerate(temperatures)]
    for c in configs:
        c.validate()
    return configs


def ising_point(url: str, config: RunConfig) -> dict:
    """Run ``config`` on the device at ``url``: the ``ising run --json`` summary (a farm task)."""
    from bitspin.sw.ising.backends import run
    from bitspin.sw.ising.report import run_summary
    return run_summary("device", config, run("device", config, device_url=url))


def _device_rates(report, points) -> list[dict]:
    updates = {}
    for point in points:
        updates[point["device"]] = updates.get(point["device"], 0) + point["spin_updates"]
    rows = []
    for url, stat in sorted(report.device_stats.items()):
        busy = stat["busy_s"]
        rows.append({"device": url, "points": stat["tasks"], "failures": stat["failures"],
                     "busy_s": busy,
                     "spin_updates_per_ns": updates.get(url, 0) / busy / 1e9 if busy else None})
    return rows


def farm_ising(farm: Farm, config: RunConfig, temperatures, *,
               on_point: Callable | None = None, max_failures: int = MAX_FAILURES) -> dict:
    """Sample ``config`` at every temperature on the farm's devices.

    Returns the ``farm ising --json`` object: ``points`` (ascending temperature; each the
    device run's summary plus ``temperature``, ``seed`` and ``device``), ``devices``,
    ``retries``, ``device_stats`` (points and spin updates per ns of busy time per device),
    ``taken_out`` and ``elapsed_s``. ``on_point(done, total, point)`` follows the sweep.
    """
    configs = sweep_configs(config, temperatures)
    temperatures = sorted(float(t) for t in temperatures)
    tasks = [Task(f"ising-point{i}-T{c.temperature:.6g}-seed{c.seed}", ising_point, (c,))
             for i, c in enumerate(configs)]
    devices = len(farm.boards)
    done = []

    def finished(index, outcome):
        done.append(index)
        if on_point is not None:
            on_point(len(done), len(tasks), {"temperature": temperatures[index],
                                             "device": outcome.device})

    report = run_tasks(farm, tasks, max_failures=max_failures, on_done=finished)
    points = []
    for t, c, outcome in zip(temperatures, configs, report.outcomes):
        summary = dict(outcome.value)
        summary.pop("backend", None)
        summary.pop("parameters", None)
        updates = c.size * c.size * c.sweeps
        points.append({"temperature": t, "seed": c.seed, "device": outcome.device,
                       **summary, "spin_updates": updates})
    parameters = {k: v for k, v in config.as_dict().items()
                  if k not in ("beta", "temperature", "threads")}
    return {"parameters": parameters, "points": points, "devices": devices,
            "retries": report.retries, "device_stats": _device_rates(report, points),
            "taken_out": report.taken_out, "elapsed_s": report.elapsed_s}
