"""R tiles of the Ising core: independent L×L lattices, each with its own lanes, memory, threshold
table, RNG stream, sums and control (no control net crosses from one tile to another), behind
one command interface. The tiles are the replicas that parallel tempering exchanges
temperatures between (``sw.ising.tempering``).

Tile j is an :class:`~hw.ising.core.IsingCore` seeded with seed + j (mod 2^64): the golden
model of a tile array is R golden cores seeded so (``sw.ising.replica_samplers``). Commands go
to every tile at once, and only while every tile is idle. Each sweep's records leave in tile
order, round-robin: sweep t of tile 0, of tile 1, …, of tile R − 1, then sweep t + 1.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In

from .core import IsingCore, core_ports
from .params import IsingParams, TABLE_SIZE

__all__ = ["IsingTiles"]


class IsingTiles(wiring.Component):
    """``params.replicas`` cores with :class:`IsingCore`'s ports, except:

    * ``thresholds``: one table per tile;
    * ``tile``: selects the tile that the lattice port and ``sums`` show;
    * ``observables``: every tile's records, merged in tile order;
    * ``update_cycles``, ``run_cycles`` and ``stall_cycles`` are tile 0's (every tile runs the
      same schedule; the last tile waits longest for the merge), ``flips`` the sum of all.
    """

    def __init__(self, params: IsingParams, threshold_table: str = "auto"):
        if not isinstance(params, IsingParams):
            raise TypeError(f"params must be an IsingParams, not {params!r}")
        self.params, self.threshold_table = params, threshold_table
        p, R = params, params.replicas
        table = data.ArrayLayout(unsigned(p.k + 1), TABLE_SIZE)
        super().__init__({**core_ports(p), "thresholds": In(data.ArrayLayout(table, R)),
                          "tile": In(range(R))})

    def elaborate(self, platform):
        m = Module()
        p, R = self.params, self.params.replicas
        tiles = []
        for j in range(R):
            tile = IsingCore(p, self.threshold_table)
            m.submodules[f"tile{j}"] = tile
            tiles.append(tile)
            selected = self.tile == j
            m.d.comb += [
                Value.cast(tile.op).eq(Value.cast(self.op)),
                tile.start.eq(self.start & ~self.busy),   # only while every tile is idle
                tile.seed.eq((self.seed + j)[:64]),
                tile.sweeps.eq(self.sweeps),
                Value.cast(tile.thresholds).eq(Value.cast(self.thresholds[j])),
                tile.lattice_addr.eq(self.lattice_addr),
                tile.lattice_wdata.eq(self.lattice_wdata),
                tile.lattice_we.eq(self.lattice_we & selected),
            ]
            if p.sums:
                m.d.comb += tile.every.eq(self.every)

        # The merge: tile ``turn``'s record goes next, then the turn passes on. Expressions,
        # not processes: Icarus leaves a process's output X until one of its inputs changes.
        turn = Signal(range(R))
        out = self.observables
        valid = tiles[0].observables.valid
        payload = Value.cast(tiles[0].observables.payload)
        for j, tile in enumerate(tiles):
            m.d.comb += tile.observables.ready.eq(out.ready & (turn == j))
            if j:
                valid = Mux(turn == j, tile.observables.valid, valid)
                payload = Mux(turn == j, Value.cast(tile.observables.payload), payload)
        m.d.comb += [out.valid.eq(valid), Value.cast(out.payload).eq(payload)]
        with m.If(out.valid & out.ready):
            m.d.sync += turn.eq(Mux(turn == R - 1, 0, turn + 1))

        busy = tiles[0].busy
        flips = tiles[0].flips
        rdata = tiles[0].lattice_rdata
        sums = Value.cast(tiles[0].sums) if p.sums else None
        for j, tile in enumerate(tiles[1:], start=1):
            busy = busy | tile.busy
            flips = flips + tile.flips
            rdata = Mux(self.tile == j, tile.lattice_rdata, rdata)
            if p.sums:
                sums = Mux(self.tile == j, Value.cast(tile.sums), sums)
        m.d.comb += [self.busy.eq(busy), self.flips.eq(flips[:48]), self.lattice_rdata.eq(rdata),
                     self.update_cycles.eq(tiles[0].update_cycles),
                     self.run_cycles.eq(tiles[0].run_cycles),
                     self.stall_cycles.eq(tiles[0].stall_cycles)]
        if p.sums:
            m.d.comb += Value.cast(self.sums).eq(sums)
        return m
