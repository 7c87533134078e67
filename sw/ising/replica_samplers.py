"""Sets of independent lattices (replicas) that parallel tempering drives: one lattice per slot,
each with its own random stream, advanced a block of sweeps at a time at whatever temperature
the slot holds now.

Slot j (copy c, replica r: j = c·R + r) is seeded with S + j and starts hot, on every backend.
``golden`` is the bit-exact model of a core whose tiles hold the slots (each tile a
:class:`~sw.ising.golden.GoldenIsingCore` of the same parameters); ``cpu`` runs each slot on the
multi-spin-coded sampler, statistically equivalent, not bit-exact.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from bitspin.hw.ising.params import IsingParams

from .thresholds import threshold_table

__all__ = ["GoldenReplicas", "MscReplicas", "replica_sampler", "open_replicas"]


class GoldenReplicas:
    """``slots`` golden cores; ``advance`` runs every slot ``sweeps`` sweeps at its β."""

    name = "golden"

    def __init__(self, params: IsingParams, slots: int, seed: int, couplings, *, J: int,
                 h: float, algorithm: str):
        from .golden import GoldenIsingCore
        self.params, self.J, self.h, self.algorithm = params, J, h, algorithm
        self.cores = []
        for j in range(slots):
            core = GoldenIsingCore(params, couplings)
            core.seed((seed + j) % (1 << 64))
            core.init_hot()
            self.cores.append(core)
        self._tables = {}

    def _table(self, beta: float) -> np.ndarray:
        if beta not in self._tables:
            self._tables[beta] = threshold_table(beta, self.J, self.h, self.algorithm,
                                                 self.params.k)
        return self._tables[beta]

    def advance(self, sweeps: int, betas) -> np.ndarray:
        """Run slot j ``sweeps`` sweeps at ``betas[j]``; int64 [sweeps, slots, 2] of (M, B)."""
        out = np.empty((sweeps, len(self.cores), 2), dtype=np.int64)
        for j, (core, beta) in enumerate(zip(self.cores, betas)):
            out[:, j, 0], out[:, j, 1] = core.run(sweeps, self._table(beta))
        return out

    def lattice(self, j: int) -> np.ndarray:
        return self.cores[j].lattice

    @property
    def flips(self) -> int:
        return sum(core.flips for core in self.cores)


class MscReplicas:
    """``slots`` lattices on the multi-spin-coded CPU sampler (h = 0 Metropolis)."""

    name = "cpu"

    def __init__(self, L: int, slots: int, seed: int, couplings, *, J: int, threads=None):
        from . import msc
        from bitspin.sw.numba_support import set_threads
        if (reason := msc.msc_unsupported(L)) is not None:
            raise ValueError(f"the cpu backend's tempering does not take {reason}")
        self.msc, self.L, self.antiferro = msc, L, J < 0
        self.kernels = msc._kernels()
        self.threads = set_threads(threads)
        self.run_sweeps = (self.kernels.sweeps_serial if self.threads == 1
                           else self.kernels.sweeps)
        self.n, _ = msc._layout(L)
        self.signs = msc.NO_SIGNS if couplings is None else msc.bond_signs(couplings)
        self.spins = [msc.pack(msc.initial_lattice(L, "hot", (seed + j) % (1 << 64)))
                      for j in range(slots)]
        self.states = [msc._streams((seed + j) % (1 << 64), L) for j in range(slots)]
        self.flip_counts = np.zeros((slots, L), dtype=np.int64)
        self.rows = np.zeros((L, 2), dtype=np.int64)

    def advance(self, sweeps: int, betas) -> np.ndarray:
        out = np.empty((sweeps, len(self.spins), 2), dtype=np.int64)
        observables = np.zeros((sweeps, 2), dtype=np.int64)
        for j, beta in enumerate(betas):
            p4, p8 = (min(1 << 32, int(round(math.exp(-de * beta) * (1 << 32))))
                      for de in (4.0, 8.0))
            self.run_sweeps(self.spins[j], self.n, p4, p8, self.antiferro, self.signs,
                            self.states[j], self.flip_counts[j], observables, 0, sweeps, 0,
                            self.rows)
            out[:, j] = observables
        return out

    def lattice(self, j: int) -> np.ndarray:
        return self.msc.unpack(self.spins[j], self.L)

    @property
    def flips(self) -> int:
        return int(self.flip_counts.sum())


def replica_sampler(backend: str, config, slots: int, couplings):
    """The replica set of ``backend`` for a :class:`~sw.ising.tempering.TemperConfig`."""
    if backend == "golden":
        params = IsingParams(config.size, config.lanes, config.k, rng=config.rng)
        return GoldenReplicas(params, slots, config.seed, couplings, J=config.coupling,
                              h=config.field, algorithm=config.algorithm)
    if backend == "cpu":
        if config.field != 0 or config.algorithm != "metropolis":
            raise ValueError("the cpu backend tempers h = 0 Metropolis only (its multi-spin-"
                             "coded sampler); use the golden backend for a field or heat-bath")
        return MscReplicas(config.size, slots, config.seed, couplings, J=config.coupling,
                           threads=config.threads)
    if backend == "gpu":
        raise ValueError("ising temper does not run on the gpu backend yet (use golden, cpu or "
                         "device)")
    raise ValueError(f"unknown backend {backend!r}; choose golden, cpu or device")


@contextlib.contextmanager
def open_replicas(backend: str, config, slots: int, couplings, device_url: str | None = None):
    """The replica set of ``backend``; for ``device``, the tiles of the device at
    ``device_url`` ("sim": a virtual board with ``slots`` tiles), closed on exit."""
    if backend != "device":
        yield replica_sampler(backend, config, slots, couplings)
        return
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.device.tile_replicas import DeviceReplicas
    params = IsingParams(config.size, config.lanes, config.k, rng=config.rng, replicas=slots,
                         couplings=couplings is not None)
    with open_device(device_url, ising=params) as device:
        yield DeviceReplicas(device, config, slots, couplings)
