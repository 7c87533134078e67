"""What the backends of both benchmark workloads share: the machine, the missing GPU, the fmax
that the ``projected`` backend multiplies by."""

from __future__ import annotations

import os
import platform
import time
from typing import Callable

from .options import BenchOptions

__all__ = ["machine", "gpu_missing", "projected_fmax", "announce_build", "set_threads",
           "strongest", "torch_threads", "Progress"]

#: Called with a short line before each slow step (a status line on a terminal, a log line else).
Progress = Callable[[str], None]


def machine() -> dict:
    """Where the figures were taken."""
    import torch
    return {"host": platform.node(), "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d")}


def set_threads(options: BenchOptions) -> None:
    """Apply ``options.threads`` to torch and to the numba kernels (a no-op when it is None);
    the cpu baselines set their own threads (see :func:`strongest`)."""
    if options.threads is not None:
        import torch
        torch.set_num_threads(options.threads)
        from bitspin.sw.numba_support import set_threads as set_numba_threads
        set_numba_threads(options.threads)


class torch_threads:
    """``with torch_threads(n):`` torch on ``n`` CPU threads, restored afterwards."""

    def __init__(self, threads: int):
        self.threads = threads

    def __enter__(self):
        import torch
        self.before = torch.get_num_threads()
        torch.set_num_threads(self.threads)

    def __exit__(self, *exc):
        import torch
        torch.set_num_threads(self.before)


def strongest(measure: Callable[[str, int], dict | None], names, threads: int | None,
              rate_key: str, progress: Progress) -> dict:
    """The strongest CPU baseline, per core and per machine.

    ``measure(name, threads)`` times one reference (None where it cannot run the workload).
    Every reference runs on one thread; the fastest of them runs again on ``threads`` (None:
    every core). The entry is the per-machine figure, with ``baseline`` naming the reference,
    ``per_core`` the one-thread figure, and each reference's one-thread entry under its name.
    """
    per_core = {}
    for name in names:
        progress(f"cpu, 1 thread: {name}")
        if (entry := measure(name, 1)) is not None:
            per_core[name] = entry
    best = max(per_core, key=lambda name: per_core[name][rate_key])
    everything = threads or os.cpu_count() or 1
    per_machine = per_core[best]
    if everything > 1:
        progress(f"cpu, {everything} threads: {best}")
        per_machine = measure(best, everything)
    return {**per_machine, "baseline": best,
            "per_core": {**per_core[best], "baseline": best}, **per_core}


def gpu_missing(unit_fields: dict) -> dict | None:
    """The entry of a gpu backend on a machine without CUDA, or None when there is a GPU."""
    import torch
    if torch.cuda.is_available():
        return None
    return {"available": False, "reason": "no CUDA device on this machine", **unit_fields}


def announce_build(options: BenchOptions, progress: Progress) -> None:
    """Say before any work that ``projected`` without ``--build-json`` will build a bitstream."""
    if "projected" in options.backends and options.build_json is None:
        progress("note: projected without --build-json builds the design for the board after "
                 "the other backends (yosys + nextpnr: 10-40 minutes on an ECP5); give "
                 "--build-json FILE to take the fmax of an earlier build")


def projected_fmax(options: BenchOptions, design: str, params: dict, board: str,
                   progress: Progress) -> tuple[float, str]:
    """The post-route fmax for ``projected``: from ``--build-json``, or from a build made now."""
    from .fmax import fmax_from_build, fmax_from_json
    if options.build_json:
        return fmax_from_json(options.build_json, design, params, board)
    progress(f"building {design} for {board} (yosys, nextpnr: minutes)")
    return fmax_from_build(design, params, board, options.out.parent, progress)
