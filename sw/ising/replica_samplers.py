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

__all__ = ["GoldenReplicas", "MscReplicas", "TorchReplicas", "replica_sampler",
           "open_replicas"]


def _acceptance_words(beta: float) -> tuple[int, int]:
    """p4 = e^{−4β} and p8 = e^{−8β} times 2^32, the multi-spin-coded samplers' thresholds."""
    return tuple(min(1 << 32, int(round(math.exp(-de * beta) * (1 << 32)))) for de in (4.0, 8.0))


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
            p4, p8 = _acceptance_words(beta)
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


class TorchReplicas:
    """``slots`` lattices on the torch multi-spin-coded sampler (h = 0 Metropolis) on
    ``device``: the gpu backend on CUDA; the tests run it on the CPU. Slot j's generator is
    seeded with S + j."""

    name = "gpu"

    def __init__(self, L: int, slots: int, seed: int, couplings, *, J: int, device="cuda"):
        import torch

        from . import msc, msc_torch
        from .fast import resolve_device
        if (reason := msc.msc_unsupported(L)) is not None:
            raise ValueError(f"the gpu backend's tempering does not take {reason}")
        self.torch, self.msc_torch, self.msc = torch, msc_torch, msc
        self.device = resolve_device(device)
        self.L, self.n, self.antiferro = L, L // 2, J < 0
        self.signs = msc_torch.torch_signs(couplings, L, self.device)
        self.spins, self.generators = [], []
        for j in range(slots):
            slot_seed = (seed + j) % (1 << 64)
            packed = msc.pack(msc.initial_lattice(L, "hot", slot_seed)).view(np.int64)
            self.spins.append(torch.from_numpy(packed).to(self.device))
            generator = torch.Generator(device=self.device)
            generator.manual_seed(slot_seed % (1 << 63))
            self.generators.append(generator)
        self.flip_count = torch.zeros((), dtype=torch.int64, device=self.device)
        if self.device.type == "cuda":
            self.name = f"gpu ({torch.cuda.get_device_name(self.device)})"

    def advance(self, sweeps: int, betas) -> np.ndarray:
        torch = self.torch
        out = torch.empty((sweeps, len(self.spins), 2), dtype=torch.int64, device=self.device)
        for j, beta in enumerate(betas):
            p4, p8 = _acceptance_words(beta)
            for t in range(sweeps):
                for colour in (0, 1):
                    self.flip_count += self.msc_torch.half_sweep(
                        self.spins[j], colour, self.n, p4, p8, self.antiferro,
                        self.generators[j], self.signs)
                m, b = self.msc_torch.observables(self.spins[j], self.n, self.signs)
                out[t, j, 0], out[t, j, 1] = m, b
        return out.cpu().numpy()

    def lattice(self, j: int) -> np.ndarray:
        return self.msc.unpack(self.spins[j].cpu().numpy().view(np.uint64), self.L)

    @property
    def flips(self) -> int:
        return int(self.flip_count)


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
        if config.field != 0 or config.algorithm != "metropolis":
            raise ValueError("the gpu backend tempers h = 0 Metropolis only (its multi-spin-"
                             "coded sampler); use the golden backend for a field or heat-bath")
        return TorchReplicas(config.size, slots, config.seed, couplings, J=config.coupling)
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
