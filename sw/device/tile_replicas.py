"""The Ising core's tiles on a device as a replica set for parallel tempering
(``sw.ising.tempering``), bit-identical to ``sw.ising.replica_samplers.GoldenReplicas``."""

from __future__ import annotations

import numpy as np

from .errors import IdentityMismatch
from .ising_sampler import IsingSampler

__all__ = ["DeviceReplicas"]


class DeviceReplicas:
    """Slot j is tile j (seeded with S + j by the device). Before each block of sweeps the host
    rewrites the threshold table of every tile whose temperature changed (an exchange swaps
    tables, never lattices), then one RUN advances every tile."""

    name = "device"

    def __init__(self, device, config, slots: int):
        from bitspin.sw.ising.thresholds import threshold_table
        self.ising = IsingSampler(device)
        p = self.ising.params
        self.ising.check(config.size, config.lanes, config.k)
        if p.replicas != slots:
            raise IdentityMismatch(
                f"the device at {device.url} has {p.replicas} tile(s); this tempering needs "
                f"temperatures × copies = {slots} (bitspin sim serve --replicas {slots}, or a "
                "build with that many)")
        if p.rng != config.rng:
            raise IdentityMismatch(f"the device's lanes use {p.rng}, the run asks for "
                                   f"{config.rng} (--rng)")
        if config.algorithm not in p.algorithms:
            raise IdentityMismatch(f"the device was built without {config.algorithm}")
        self._table = lambda beta: [int(t) for t in threshold_table(
            beta, config.coupling, config.field, config.algorithm, p.k)]
        self.tables: list = [None] * slots
        self.ising.seed(config.seed)
        self.ising.init("hot")
        self.flips_before = self.ising.counter("FLIPS")
        self.cycles_before = self.ising.counter("RUN_CYCLES")
        self.table_writes = 0

    def advance(self, sweeps: int, betas) -> np.ndarray:
        """Run every tile ``sweeps`` sweeps at its β; int64 [sweeps, tiles, 2] of (M, B)."""
        for tile, beta in enumerate(betas):
            table = self._table(beta)
            if table != self.tables[tile]:
                self.ising.set_thresholds(table, tile)
                self.tables[tile] = table
                self.table_writes += 1
        m, b = self.ising.run(sweeps)
        return np.stack([m, b], axis=-1)

    def lattice(self, j: int) -> np.ndarray:
        return self.ising.read_lattice(j)

    @property
    def flips(self) -> int:
        return self.ising.counter("FLIPS") - self.flips_before

    def figures(self) -> dict:
        """The device's own count of compute clocks and the table rewrites the exchanges cost."""
        return {"device_cycles": self.ising.counter("RUN_CYCLES") - self.cycles_before,
                "device_clock_hz": self.ising.device.clock_hz,
                "threshold_table_writes": self.table_writes}
