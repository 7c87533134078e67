"""The Ising core behind its registers: controls, counters, observables FIFO, lattice window."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, ResetInserter, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from bitspin.hw.device.register_bus import RegisterBus
from bitspin.hw.device.register_map import JOB_TAG_BITS, OBSERVABLE_BITS, device_register_map
from bitspin.hw.ising.tiles import IsingTiles
from bitspin.hw.ising.params import TABLE_SIZE, IsingParams

__all__ = ["IsingBlock"]


class IsingBlock(wiring.Component):
    """The Ising core's tiles (:class:`~hw.ising.tiles.IsingTiles`; one tile unless
    ``params.replicas`` > 1) with the ISING_* registers.

    Writing ISING_COMMAND starts the written :class:`IsingOp` with the seed, sweep count and
    thresholds held in their registers (a write while busy is ignored, as the core ignores it).
    Each sweep's (M, B) enters a FIFO of ``observables_depth`` records that the host drains
    through ISING_OBS_DATA, M then B; when it is full the core waits (no record is ever lost).
    Each record carries ISING_JOB_TAG in its words' top bytes (M and B are
    ``OBSERVABLE_BITS``-bit two's complement), so the host can tell its run's records from any
    others; the tag is written before each start and cannot change while the core is busy.
    ISING_JOB_STATE counts the starts taken since the tag was written and flags a read of the
    empty FIFO. ISING_TILE selects the tile whose thresholds, lattice and sums the registers
    reach. ``abort`` resets the core's control and counters, the job state and the FIFO in
    one clock; the lattice memory and the registers keep their contents.
    """

    def __init__(self, params: IsingParams, observables_depth: int = 256):
        if not isinstance(params, IsingParams):
            raise TypeError("params must be an IsingParams")
        if 2 * params.size ** 2 >= 1 << (OBSERVABLE_BITS - 1):
            raise ValueError(f"L={params.size}: B = ±2L² does not fit {OBSERVABLE_BITS} bits")
        self.params, self.observables_depth = params, observables_depth
        super().__init__({"bus": In(RegisterBus), "busy": Out(1), "abort": In(1)})

    def elaborate(self, platform):
        m = Module()
        p, bus = self.params, self.bus
        regs = device_register_map(ising=p)
        core = IsingTiles(p)
        fifo = SyncFIFOBuffered(width=64, depth=self.observables_depth)
        m.submodules.core = ResetInserter(self.abort)(core)
        m.submodules.observables = ResetInserter(self.abort)(fifo)
        seed, sweeps = Signal(64), Signal(32)
        # The job tag rides in the top byte of each record's words (no header, no multiplexer):
        # M and B fit OBSERVABLE_BITS for every lattice the core supports. The tag cannot change
        # while the core is busy, and the core writes records only while busy.
        job_tag = Signal(JOB_TAG_BITS)
        starts, empty_read = Signal(2), Signal()     # ISING_JOB_STATE
        half = OBSERVABLE_BITS
        m.d.comb += [fifo.w_data.eq(Cat(core.observables.payload.magnetization[:half],
                                        job_tag[:32 - half],
                                        core.observables.payload.bond_sum[:half],
                                        job_tag[32 - half:])),
                     fifo.w_en.eq(core.observables.valid),
                     core.observables.ready.eq(fifo.w_rdy), self.busy.eq(core.busy)]

        # k + 1 bits, as wide as the core's table: the upper bits of a 32-bit register would
        # only feed the read-back (230 flip-flops at k = 8).
        R = p.replicas
        thresholds = [[Signal(p.k + 1, name=f"tile{j}_threshold{i}") for i in range(TABLE_SIZE)]
                      for j in range(R)]
        tile = Signal.like(core.tile)
        lattice_addr = Signal.like(core.lattice_addr)
        words = regs["ISING_LATTICE_DATA"].count
        staged = Signal(32 * words)
        second_half = Signal()       # the next OBS_DATA read returns B (and pops)
        every = Signal(32, init=1)                   # ISING_OBS_EVERY (with on-chip sums)
        if p.sums:
            m.d.comb += core.every.eq(every)
        m.d.comb += [core.seed.eq(seed), core.sweeps.eq(sweeps), core.tile.eq(tile),
                     core.lattice_addr.eq(lattice_addr), core.lattice_wdata.eq(staged)]
        for j, table in enumerate(thresholds):
            for i, t in enumerate(table):
                m.d.comb += core.thresholds[j][i].eq(t)

        def local(name, index=0):
            return regs.local(name, index)

        value = Signal(32)
        with m.Switch(bus.addr):
            with m.Case(local("ISING_STATUS")):
                m.d.comb += value.eq(core.busy)
            for name, signal in (("ISING_SEED_LO", seed[:32]), ("ISING_SEED_HI", seed[32:]),
                                 ("ISING_SWEEPS", sweeps),
                                 ("ISING_LATTICE_ADDR", lattice_addr),
                                 ("ISING_TILE", tile),
                                 ("ISING_JOB_TAG", job_tag),
                                 ("ISING_JOB_STATE", Cat(starts, empty_read)),
                                 ("ISING_UPDATE_CYCLES_LO", core.update_cycles[:32]),
                                 ("ISING_UPDATE_CYCLES_HI", core.update_cycles[32:]),
                                 ("ISING_RUN_CYCLES_LO", core.run_cycles[:32]),
                                 ("ISING_RUN_CYCLES_HI", core.run_cycles[32:]),
                                 ("ISING_STALL_CYCLES_LO", core.stall_cycles[:32]),
                                 ("ISING_STALL_CYCLES_HI", core.stall_cycles[32:]),
                                 ("ISING_FLIPS_LO", core.flips[:32]),
                                 ("ISING_FLIPS_HI", core.flips[32:])):
                with m.Case(local(name)):
                    m.d.comb += value.eq(signal)
            with m.Case(local("ISING_OBS_LEVEL")):
                m.d.comb += value.eq((fifo.level << 1) - second_half)
            with m.Case(local("ISING_OBS_DATA")):
                m.d.comb += value.eq(Mux(fifo.r_rdy, fifo.r_data.word_select(second_half, 32), 0))
            for i in range(TABLE_SIZE):
                with m.Case(local("ISING_THRESHOLDS", i)):
                    shown = thresholds[0][i]
                    for j in range(1, R):
                        shown = Mux(tile == j, thresholds[j][i], shown)
                    m.d.comb += value.eq(shown)
            if p.sums:
                with m.Case(local("ISING_OBS_EVERY")):
                    m.d.comb += value.eq(every)
                sum_words = Cat(*(core.sums[i] for i in range(len(core.sums))))
                for i in range(regs["ISING_SUMS"].count):
                    with m.Case(local("ISING_SUMS", i)):
                        m.d.comb += value.eq(sum_words.word_select(i, 32))
            for i in range(words):
                with m.Case(local("ISING_LATTICE_DATA", i)):
                    m.d.comb += value.eq(core.lattice_rdata.word_select(i, 32)
                                         if 32 * i < p.memory_word_bits else 0)
        with m.If(bus.r_stb):
            m.d.sync += bus.r_data.eq(value)
            with m.If((bus.addr == local("ISING_OBS_DATA")) & fifo.r_rdy):
                m.d.sync += second_half.eq(~second_half)
                m.d.comb += fifo.r_en.eq(second_half)
            # A pop of an empty FIFO reads 0, which looks like data: flagged, so the host can
            # tell (a pop duplicated on the link takes words the host then reads as zeros).
            with m.If((bus.addr == local("ISING_OBS_DATA")) & ~fifo.r_rdy):
                m.d.sync += empty_read.eq(1)
        with m.If(self.abort):
            m.d.sync += [second_half.eq(0), starts.eq(0), empty_read.eq(0)]

        with m.If(bus.w_stb):
            with m.Switch(bus.addr):
                with m.Case(local("ISING_COMMAND")):
                    op = Value.cast(core.op)
                    m.d.comb += [op.eq(bus.w_data[:len(op)]), core.start.eq(1)]
                    with m.If(~core.busy & ~starts.all()):    # the core takes the start
                        m.d.sync += starts.eq(starts + 1)
                with m.Case(local("ISING_JOB_TAG")):
                    with m.If(~core.busy):
                        m.d.sync += [job_tag.eq(bus.w_data), starts.eq(0), empty_read.eq(0)]
                for name, signal in (("ISING_SEED_LO", seed[:32]), ("ISING_SEED_HI", seed[32:]),
                                     ("ISING_SWEEPS", sweeps),
                                     ("ISING_LATTICE_ADDR", lattice_addr)):
                    with m.Case(local(name)):
                        m.d.sync += signal.eq(bus.w_data)
                with m.Case(local("ISING_TILE")):
                    with m.If(bus.w_data < R):       # a tile that does not exist is ignored
                        m.d.sync += tile.eq(bus.w_data)
                if p.sums:
                    with m.Case(local("ISING_OBS_EVERY")):
                        m.d.sync += every.eq(bus.w_data)
                with m.Case(local("ISING_LATTICE_WRITE")):
                    m.d.comb += core.lattice_we.eq(1)
                    m.d.sync += lattice_addr.eq(lattice_addr + 1)
                for i in range(TABLE_SIZE):
                    with m.Case(local("ISING_THRESHOLDS", i)):
                        for j in range(R):
                            with m.If(tile == j):
                                m.d.sync += thresholds[j][i].eq(bus.w_data)
                for i in range(words):
                    with m.Case(local("ISING_LATTICE_DATA", i)):
                        m.d.sync += staged.word_select(i, 32).eq(bus.w_data)
        return m
