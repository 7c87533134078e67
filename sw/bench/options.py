"""The options of one ``bitspin bench`` run: the workload, its backends and their parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bitspin.hw.ising.params import DEFAULT_ISING_PARAMS

from .meters import BENCH_BACKENDS

__all__ = ["BenchOptions", "DEFAULT_ISING_BOARD"]

#: The board whose post-route fmax the Ising ``projected`` backend uses by default.
DEFAULT_ISING_BOARD = "ulx3s-85f"


@dataclass
class BenchOptions:
    """What to run. Field names are the ``bitspin bench`` flags (``--sim-sweeps`` → ``sim_sweeps``).

    Attributes
    ----------
    workload : str
        ``"ising"`` or ``"gan"``.
    backends : list of str
        From ``cpu``, ``gpu``, ``sim``, ``device``, ``projected``.
    size, sweeps, lanes : int
        Ising: the lattice side L, sweeps per run, the core's spins per clock P.
    count : int
        GAN: images per run.
    repeats : int
        Runs per backend (min, median and max are reported).
    sizes : list of int
        Ising cpu/gpu: further lattice sizes to scan.
    cores : list of (int, int)
        Ising sim: the core configurations (L, P).
    sim_sweeps, sim_images : int
        Sweeps (Ising) or images (GAN) simulated in Verilator.
    threads : int or None
        cpu: the threads of the per-machine figure (None: every core); every reference also
        runs on one thread for the per-core figure.
    engine : str
        GAN: the engine configuration.
    gan_batch : int or None
        GAN: the images in lockstep, if not the configuration's.
    board : str or None
        projected: the board whose post-route fmax is used.
    replicas : int
        Ising projected: the core's tiles (independent lattices on the same schedule).
    build_json : Path or None
        projected: a build report to take the fmax from (None: build now).
    device : str
        device backend: ``sim`` or a device URL.
    meters : list of str
        ``--meter`` values (see ``bitspin.sw.bench.meters``).
    out : Path
        Where the JSON report goes (a build made for ``projected`` goes beside it).
    """

    workload: str
    backends: list[str] = field(default_factory=lambda: ["cpu", "gpu", "device"])
    size: int = 64
    sweeps: int = 1000
    lanes: int = DEFAULT_ISING_PARAMS.lanes
    replicas: int = 1
    count: int = 100
    repeats: int = 3
    sizes: list[int] = field(default_factory=list)
    cores: list[tuple[int, int]] = field(default_factory=lambda: [(16, 8), (64, 32), (256, 64)])
    sim_sweeps: int = 4
    sim_images: int = 4
    threads: int | None = None
    engine: str = "ulx3s"
    gan_batch: int | None = None
    board: str | None = None
    build_json: Path | None = None
    device: str = "sim"
    meters: list[str] = field(default_factory=list)
    out: Path | None = None

    def __post_init__(self):
        if self.workload not in ("ising", "gan"):
            raise ValueError(f"the workload must be ising or gan, not {self.workload!r}")
        unknown = set(self.backends) - set(BENCH_BACKENDS)
        if unknown or not self.backends:
            raise ValueError(f"unknown backends {', '.join(sorted(unknown)) or '(none given)'} "
                             f"for {self.workload}; choose from {', '.join(BENCH_BACKENDS)}")
        for name in ("repeats", "count", "sweeps", "sim_sweeps", "sim_images"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if self.threads is not None and self.threads < 1:
            raise ValueError("--threads must be at least 1")
        if self.out is None:
            self.out = Path(f"out/bench/{self.workload}.json")
