"""The checkerboard Lenz-Ising MCMC core: P spin updates per clock from block RAM.

See ``params`` for the memory layout, the lane-to-site schedule, the threshold table and the RNG.

Datapath. The lattice memory has one read and one write port (W = R·L bits wide, G deep). A
half-sweep streams the G words through a three-word window (previous, current, next group): each
word is read once and written once, so the ports serve P lanes per clock without stalls. The read
address and the read data are each registered (``READ_LATENCY``: three clocks from address to
data). A pass's three tail clocks ask for groups 0, 1 and G-1 of the next pass, and its three
priming clocks for the first steps' groups (``IsingParams.prime_cycles``); afterwards the read
three clocks ahead lands in ``next`` exactly when the window shifts. Sites of one colour only
neighbour sites of the other colour, which a half-sweep never writes, so reading a group that
was already rewritten in the same half (the wrap-around) is harmless.

Pipeline. Stage A forms each lane's table index (its spin and up-neighbour count); stage T
looks up the threshold and takes the lane's random number (the lane RNGs run a clock behind);
stage B compares and registers the result beside both outcomes; stage C merges the chosen spins
into the write buffer; stage D writes the group back. Observables of the lattice as it stood
before a colour-0 half are pop-counted from the window in stage T and summed by pipelined trees
beside the later stages, so measuring costs no extra clocks; the state after the last sweep is
counted by one extra read-only pass. Stages A, T and B are ``lane_array.LaneArray``, C and D
``write_back.WriteBack``, the counts ``sweep_counts.SweepCounts``.

Cycle budget: a sweep takes L²/P + 2·(priming + tail) clocks
(``IsingParams.cycles_per_sweep``).
"""

from amaranth import Cat, Module, Signal, Value, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_copies, registered_tree
from .lane_array import LaneArray
from .lane_rngs import lane_rngs, seed_outputs
from .lattice_window import LatticeWindow
from .observable_sums import ObservableSums, ObservablesLayout
from .sums_spec import OBSERVABLE_SUMS, SUM_BITS
from .params import IsingOp, IsingParams, TABLE_SIZE
from .popcount import delayed
from .seeder import SplitMix64Seeder
from .sequencer import PassMode, PassSequencer
from .sweep_counts import SweepCounts
from .threshold_tables import THRESHOLD_TABLES, table_load_cycles
from .timing import LANES_PER_COPY
from .write_back import WriteBack

__all__ = ["IsingCore", "core_ports", "ObservablesLayout", "PassMode", "THRESHOLD_TABLES",
           "table_load_cycles"]


def core_ports(p: IsingParams) -> dict:
    """The members of :class:`IsingCore`'s signature (``hw.ising.tiles`` extends them)."""
    return {
        "op": In(IsingOp),
        "start": In(1),
        "seed": In(64),
        "sweeps": In(32),
        "thresholds": In(data.ArrayLayout(unsigned(p.k + 1), TABLE_SIZE)),
        "busy": Out(1),
        "observables": Out(stream.Signature(ObservablesLayout)),
        "lattice_addr": In(p.lattice_address_bits),
        "lattice_wdata": In(p.memory_word_bits),
        "lattice_we": In(1),
        "lattice_rdata": Out(p.memory_word_bits),
        "update_cycles": Out(48),
        "run_cycles": Out(48),
        "stall_cycles": Out(48),
        "flips": Out(48),
        # With ``params.sums``: RUN's decimation and the sums of its records (sums_spec).
        **({"every": In(32),
            "sums": Out(data.ArrayLayout(signed(SUM_BITS), len(OBSERVABLE_SUMS)))}
           if p.sums else {}),
    }


class IsingCore(wiring.Component):
    """The sampler: control inputs, an (M, B) stream, a host port to the lattice, and counters.

    Control: set ``op`` (an :class:`IsingOp`), ``seed``, ``sweeps`` and ``thresholds``, then pulse
    ``start`` while ``busy`` is low. The thresholds are latched at ``start``.

    Lattice port (only while idle): ``lattice_addr`` selects word g; ``lattice_rdata`` shows it
    ``READ_LATENCY`` (three) clocks later; ``lattice_we`` writes ``lattice_wdata`` (the write
    reaches the memory a clock later, so a read asked for in the same clock sees it).

    Counters (reset by nothing but the domain reset): ``update_cycles`` counts clocks in which
    all lanes updated, ``run_cycles`` clocks that RUN operations spent computing (exactly the
    documented schedule, whatever the consumer of ``observables`` does), ``stall_cycles``
    clocks that RUN operations spent waiting for that consumer, ``flips`` accepted flips.
    """

    def __init__(self, params: IsingParams, threshold_table: str = "auto"):
        if not isinstance(params, IsingParams):
            raise TypeError(f"params must be an IsingParams, not {params!r}")
        if threshold_table not in THRESHOLD_TABLES:
            raise ValueError(f"threshold_table must be one of {THRESHOLD_TABLES}, not "
                             f"{threshold_table!r}")
        self.params = params
        self.threshold_table = threshold_table
        super().__init__(core_ports(params))

    def elaborate(self, platform):
        m = Module()
        p = self.params
        L, P, k = p.size, p.lanes, p.k

        # --- lattice memory and its window (``LatticeWindow``) ------------------------------
        # Datapath registers (``timing.data_reg``) are reset-less here and in every part: a sync
        # reset of every lane's registers was one net to ~38 000 flip-flops, the critical path
        # at L=256, P=256 (19 ns of routing). They are loaded before they are used.
        m.submodules.window = window = LatticeWindow(p)
        prev, cur, nxt = window.prev, window.cur, window.nxt

        # --- lane RNGs and their seeding ----------------------------------------------------
        copies = group_count(P, LANES_PER_COPY)
        # The lane RNGs run one clock behind the schedule: their advance and load enables are
        # registered copies (see LANES_PER_COPY), so each state is exactly the one the schedule
        # had a clock earlier, and stage T (not stage A) takes the random number. The seeder
        # holds ``value`` for ~130 clocks after each ``valid`` pulse, so the loads may come two
        # clocks late, through hubs (one net from ``valid`` to 64 copies took 11.5 ns at P = 256).
        m.submodules.seeder = seeder = SplitMix64Seeder(seed_outputs(p.rng, P, k))
        rng_load = registered_tree(m, seeder.valid, copies, "rng_load", reset_less=True)
        m.d.comb += seeder.seed.eq(self.seed)

        # --- pass control (``PassSequencer``) ------------------------------------------------
        # The counts' latency sets how many valid flags the FSM waits out before IDLE.
        counts = SweepCounts(p)
        in_flight = max(counts.flip_latency, counts.count_stages)
        m.submodules.control = control = PassSequencer(p, table_load_cycles(P), 2 + in_flight)
        thresholds, pending_emit = control.thresholds, control.pending_emit
        rng_advance = registered_copies(m, control.advancing, copies, "rng_advance",
                                        reset_less=True)
        rng_values, rng_busy = lane_rngs(m, p.rng, P, k, advance=rng_advance, load=rng_load,
                                         load_value=seeder.value,
                                         seed_start=control.wheel_start)
        m.d.comb += [seeder.start.eq(control.seeder_start),
                     control.seeder_busy.eq(seeder.busy), control.rng_busy.eq(rng_busy),
                     control.op.eq(self.op), control.start.eq(self.start),
                     control.sweeps.eq(self.sweeps), control.thresholds_in.eq(self.thresholds),
                     control.lattice_addr.eq(self.lattice_addr),
                     window.read_addr.eq(control.read_addr)]

        # --- the lanes (stages A, T, B) and the write-back (stages C, D) ---------------------
        table_step, table_we = control.table_step, control.table_we
        m.submodules.lanes = lanes = LaneArray(p, self.threshold_table)
        m.d.comb += [
            lanes.prev.eq(prev), lanes.cur.eq(cur), lanes.nxt.eq(nxt), lanes.g.eq(control.g),
            lanes.s.eq(control.s), lanes.colour.eq(control.colour), lanes.mode.eq(control.mode),
            lanes.measure.eq(control.measure), lanes.stepping.eq(control.stepping),
            lanes.rand.eq(Cat(*rng_values)), lanes.thresholds.eq(thresholds),
            lanes.table_we.eq(table_we), lanes.table_step.eq(table_step),
        ]
        idle, cold_write, cold_addr = control.idle, control.cold_write, control.cold_addr
        m.submodules.write_back = write_back = WriteBack(p)
        m.d.comb += [
            write_back.t_valid.eq(lanes.t_valid), write_back.store.eq(lanes.store),
            write_back.g.eq(lanes.b_g), write_back.s.eq(lanes.b_s),
            write_back.base.eq(lanes.base), write_back.new.eq(lanes.new),
            write_back.par.eq(lanes.par), write_back.cold_write.eq(cold_write),
            write_back.cold_addr.eq(cold_addr), write_back.idle.eq(idle),
            write_back.lattice_we.eq(self.lattice_we),
            write_back.lattice_addr.eq(self.lattice_addr),
            write_back.lattice_wdata.eq(self.lattice_wdata),
            window.write_en.eq(write_back.wr_en), window.write_addr.eq(write_back.wr_addr),
            window.write_data.eq(write_back.wr_data),
            self.busy.eq(~idle), self.lattice_rdata.eq(window.read_data),
        ]

        # --- the counts (``SweepCounts``): M and B of measured steps, accepted flips ----------
        m.submodules.counts = counts
        m.d.comb += [counts.ups_bits.eq(lanes.ups_bits), counts.agree_bits.eq(lanes.agree_bits),
                     counts.measure.eq(lanes.measuring), counts.clear.eq(control.clear_acc),
                     counts.flip_bits.eq(lanes.flip_bits), self.flips.eq(counts.flips)]
        # Valid flags beside everything after stage T: the write-back (B, C), the flip count
        # and the count trees (which only MEASURE-flagged steps use).
        valid_line = delayed(m, lanes.t_valid, in_flight, "in_flight")
        m.d.comb += [control.in_flight.eq(Cat(lanes.a_valid, lanes.t_valid, *valid_line)),
                     control.write_en.eq(write_back.write_en)]

        # --- observables output (through the sums and the decimation, if the core has them) --
        records = self.observables
        if p.sums:
            m.submodules.sums = sums = ObservableSums(p)
            records = sums.records
            starts_run = self.start & ~self.busy & (Value.cast(self.op) == IsingOp.RUN)
            wiring.connect(m, sums.observables, wiring.flipped(self.observables))
            m.d.comb += [sums.clear.eq(starts_run), sums.every.eq(self.every),
                         self.sums.eq(sums.sums)]
        # The record's payload is reset-less (no reset net to it): it means nothing until valid.
        magnetization = Signal.like(records.payload.magnetization, reset_less=True)
        bond_sum = Signal.like(records.payload.bond_sum, reset_less=True)
        m.d.comb += [records.payload.magnetization.eq(magnetization),
                     records.payload.bond_sum.eq(bond_sum)]
        with m.If(records.ready):
            m.d.sync += records.valid.eq(0)
        emit = Signal()
        m.d.comb += [emit.eq(pending_emit & ~counts.counting & (~records.valid | records.ready)),
                     control.emitted.eq(emit)]
        with m.If(emit):
            m.d.sync += [
                magnetization.eq(2 * counts.ups - L * L),
                bond_sum.eq(2 * counts.agree - 2 * L * L),
                records.valid.eq(1),
            ]

        m.d.comb += [self.update_cycles.eq(control.update_cycles),
                     self.run_cycles.eq(control.run_cycles),
                     self.stall_cycles.eq(control.stall_cycles),
                     # The window's load enables: the sequencer's registers and their copies.
                     window.priming_next.eq(control.priming_next),
                     window.shift.eq(control.shift_copies)]
        return m
