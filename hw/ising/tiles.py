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

from amaranth import Cat, Module, Mux, Signal, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In

from .core import IsingCore, core_ports
from .params import READ_LATENCY, IsingParams, TABLE_SIZE
from ..replica import group_count, registered_copies

__all__ = ["IsingTiles", "COMMAND_SETTLE", "tiles_read_latency"]

#: Bits of the sums output per registered copy of the tile select.
SUMS_SLICE = 64

#: Clocks that ``busy`` stays high after a start before the tiles' own busy flags show through
#: their registered copies (start copy, tile, registered OR: three clocks).
COMMAND_SETTLE = 3


def tiles_read_latency(params) -> int:
    """Clocks from ``lattice_addr`` to ``lattice_rdata``: the core's READ_LATENCY, one more with
    several tiles (the selected tile's word is registered)."""
    return READ_LATENCY + (params.replicas > 1)


class IsingTiles(wiring.Component):
    """``params.replicas`` cores with :class:`IsingCore`'s ports, except:

    * ``thresholds``: one table per tile;
    * ``tile``: selects the tile that the lattice port and ``sums`` show;
    * ``observables``: every tile's records, merged in tile order;
    * ``update_cycles``, ``run_cycles`` and ``stall_cycles`` are tile 0's (every tile runs the
      same schedule; the last tile waits longest for the merge), ``flips`` the sum of all.

    With R > 1 the tiles take a command a clock later, from registered copies beside each of
    them (``busy`` covers the gap), and ``lattice_rdata``, ``sums`` and ``flips`` are
    registered (``sums`` selected by registered copies of ``tile``, so two clocks after
    ``tile`` changes): the lattice port's latency is :func:`tiles_read_latency`.
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
        # With several tiles each one takes its commands from registered copies beside it, and
        # the shared outputs leave through registers: a 4-tile build's critical path ran from
        # one tile's idle flag through the shared start gate into another tile's sums (13.9 ns
        # of routing, 63.5 MHz).
        local = R > 1
        busy_any = Signal()
        busy = Signal()
        go = self.start & ~busy                        # only while every tile is idle
        if local:
            busy_late, settle = Signal(), Signal(range(COMMAND_SETTLE + 1))
            m.d.sync += busy_late.eq(busy_any)
            with m.If(go):
                m.d.sync += settle.eq(COMMAND_SETTLE)
            with m.Elif(settle != 0):
                m.d.sync += settle.eq(settle - 1)
            m.d.comb += busy.eq(busy_late | (settle != 0))
            starts = registered_copies(m, go, R, "tile_start")
            ops = registered_copies(m, Value.cast(self.op), R, "tile_op", reset_less=True)
            sweeps = registered_copies(m, self.sweeps, R, "tile_sweeps", reset_less=True)
            every = (registered_copies(m, self.every, R, "tile_every", reset_less=True)
                     if p.sums else None)
        else:
            m.d.comb += busy.eq(busy_any)
        tiles = []
        for j in range(R):
            tile = IsingCore(p, self.threshold_table)
            m.submodules[f"tile{j}"] = tile
            tiles.append(tile)
            seed = (self.seed + j)[:64]
            table = Value.cast(self.thresholds[j])
            if local:
                seed_j = Signal(64, name=f"tile{j}_seed", reset_less=True)
                table_j = Signal(len(table), name=f"tile{j}_thresholds", reset_less=True)
                m.d.sync += [seed_j.eq(seed), table_j.eq(table)]
                m.d.comb += [tile.start.eq(starts[j]), Value.cast(tile.op).eq(ops[j]),
                             tile.sweeps.eq(sweeps[j]), tile.seed.eq(seed_j),
                             Value.cast(tile.thresholds).eq(table_j)]
                if p.sums:
                    m.d.comb += tile.every.eq(every[j])
            else:
                m.d.comb += [tile.start.eq(go), Value.cast(tile.op).eq(Value.cast(self.op)),
                             tile.sweeps.eq(self.sweeps), tile.seed.eq(seed),
                             Value.cast(tile.thresholds).eq(table)]
                if p.sums:
                    m.d.comb += tile.every.eq(self.every)
            m.d.comb += [tile.lattice_addr.eq(self.lattice_addr),
                         tile.lattice_wdata.eq(self.lattice_wdata),
                         tile.lattice_we.eq(self.lattice_we & (self.tile == j))]

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

        any_busy = tiles[0].busy
        flips = tiles[0].flips
        rdata = tiles[0].lattice_rdata
        # The sums (R × 1 024 bits) are selected per 64 bits by registered one-hot copies of the
        # tile select: one decode of ``tile`` driving every bit's multiplexer was the critical
        # path of a 4-tile build (8.7 ns of routing). The host reads the sums long after it sets
        # ``tile``.
        sums = None
        if p.sums:
            tile_sums = [Value.cast(tile.sums) for tile in tiles]
            width = len(tile_sums[0])
            slices = group_count(width, SUMS_SLICE)
            # None for tile 0, the multiplexers' default: unread copies, kept as replicas, made
            # Yosys 0.70's LUT mapping fail an assertion (tile run 8).
            select = [None] + [registered_copies(m, self.tile == j, slices, f"sums_select{j}",
                                                 reset_less=True) if local
                               else [self.tile == j] * slices for j in range(1, R)]
            parts = []
            for k in range(slices):
                bits = slice(k * SUMS_SLICE, min(width, (k + 1) * SUMS_SLICE))
                part = tile_sums[0][bits]
                for j in range(1, R):
                    part = Mux(select[j][k], tile_sums[j][bits], part)
                parts.append(part)
            sums = Cat(*parts)
        for j, tile in enumerate(tiles[1:], start=1):
            any_busy = any_busy | tile.busy
            flips = flips + tile.flips
            rdata = Mux(self.tile == j, tile.lattice_rdata, rdata)
        domain = m.d.sync if local else m.d.comb     # the shared outputs, registered
        m.d.comb += [busy_any.eq(any_busy), self.busy.eq(busy),
                     self.update_cycles.eq(tiles[0].update_cycles),
                     self.run_cycles.eq(tiles[0].run_cycles),
                     self.stall_cycles.eq(tiles[0].stall_cycles)]
        domain += [self.flips.eq(flips[:48]), self.lattice_rdata.eq(rdata)]
        if p.sums:
            domain += Value.cast(self.sums).eq(sums)
        return m
