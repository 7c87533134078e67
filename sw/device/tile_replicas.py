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

    def __init__(self, device, config, slots: int, couplings=None):
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
        self.ising.check_rule(config.algorithm, config.field)
        self._table = lambda beta: [int(t) for t in threshold_table(
            beta, config.coupling, config.field, config.algorithm, p.k)]
        self.tables: list = [None] * slots
        if p.couplings:
            self.ising.load_couplings(couplings)      # every tile; all +1 when None
        elif couplings is not None:
            raise IdentityMismatch(f"the device at {device.url} was built without couplings "
                                   "(bitspin sim serve --couplings, or a build with them)")
        self.ising.seed(config.seed)
        self.ising.init("hot")
        self.flips_before = self.ising.counter("FLIPS")
        self.cycles_before = self.ising.counter("RUN_CYCLES")
        self.table_writes = 0
        self.link_before = dict(device.client.stats)
        self.rounds = 0

    def advance(self, sweeps: int, betas) -> np.ndarray:
        """Run every tile ``sweeps`` sweeps at its β; int64 [sweeps, tiles, 2] of (M, B)."""
        for tile, beta in enumerate(betas):
            table = self._table(beta)
            if table != self.tables[tile]:
                self.ising.set_thresholds(table, tile)
                self.tables[tile] = table
                self.table_writes += 1
        m, b = self.ising.run(sweeps)
        self.rounds += 1
        return np.stack([m, b], axis=-1)

    def lattice(self, j: int) -> np.ndarray:
        return self.ising.read_lattice(j)

    @property
    def flips(self) -> int:
        return self.ising.counter("FLIPS") - self.flips_before

    def figures(self) -> dict:
        """The device's own count of compute clocks, and what the host's exchange rounds cost
        on the link: table rewrites, requests and bytes (both ways) per round."""
        stats = self.ising.device.client.stats
        link = {key: stats[key] - self.link_before.get(key, 0)
                for key in ("requests", "bytes_out", "bytes_in")}
        rounds = max(1, self.rounds)
        return {"device_cycles": self.ising.counter("RUN_CYCLES") - self.cycles_before,
                "device_clock_hz": self.ising.device.clock_hz,
                "threshold_table_writes": self.table_writes,
                "exchange_rounds": self.rounds,
                "link_requests_per_round": link["requests"] / rounds,
                "link_bytes_per_round": (link["bytes_out"] + link["bytes_in"]) / rounds}
