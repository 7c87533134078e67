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
stage B compares and registers the new spins; stage C merges them into the write buffer; stage
D writes the group back. Observables of the lattice as it stood before a colour-0 half are
pop-counted from the window in stage T and summed by pipelined trees beside the later stages,
so measuring costs no extra clocks; the state after the last sweep is counted by one extra
read-only pass.

Cycle budget: a sweep takes L²/P + 2·(priming + tail) clocks (``IsingParams.cycles_per_sweep``).
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, unsigned, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_copies
from .lane_rngs import lane_rngs, seed_outputs
from .observable_sums import ObservableSums, ObservablesLayout
from .sums_spec import OBSERVABLE_SUMS, SUM_BITS
from .params import IsingOp, IsingParams, TABLE_SIZE
from .popcount import delayed
from .seeder import SplitMix64Seeder
from .sequencer import PassControl, PassMode
from .sweep_counts import SweepCounts
from .threshold_tables import THRESHOLD_TABLES, lutram_lane_tables, table_load_cycles, uses_lutram
from .timing import LANES_PER_COPY, WORD_SLICE, data_reg
from .window import neighbourhoods, window_loads

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
        R, G, S, W = p.rows_per_group, p.groups, p.steps_per_group, p.word_bits
        MW = p.memory_word_bits        # W, or W spins + W right-bond + W down-bond signs
        chunk_rows = R if S == 1 else 1

        # --- lattice memory and its window -------------------------------------------------
        m.submodules.memory = memory = Memory(shape=unsigned(MW), depth=G, init=[])
        # With couplings the signs have their own write enables: only the host writes them.
        wr = memory.write_port(granularity=W) if p.couplings else memory.write_port()
        rd = memory.read_port(transparent_for=(wr,))
        # The block RAM's clock-to-output (5.6 ns on ECP5) was the critical path: its data is
        # registered once before any logic, so reads take two clocks.
        # Datapath registers are reset_less (``data``): a sync reset of every lane's registers was
        # one net to ~38 000 flip-flops, the critical path at L=256, P=256 (19 ns of routing).
        # They are loaded before they are used, and hold their configuration value until then.
        rd_data = data_reg(MW)
        m.d.sync += rd_data.eq(rd.data)
        prev, cur, nxt = data_reg(MW), data_reg(MW), data_reg(MW)

        # --- lane RNGs and their seeding ----------------------------------------------------
        copies = group_count(P, LANES_PER_COPY)
        # The lane RNGs run one clock behind the schedule: their advance and load enables are
        # registered copies (see LANES_PER_COPY), so each state is exactly the one the schedule
        # had a clock earlier, and stage T (not stage A) takes the random number. The seeder
        # holds ``value`` between ``valid`` pulses, so a late load sees the same value.
        m.submodules.seeder = seeder = SplitMix64Seeder(seed_outputs(p.rng, P, k))
        rng_load = registered_copies(m, seeder.valid, copies, "rng_load", reset_less=True)
        m.d.comb += seeder.seed.eq(self.seed)

        # --- pass control (the registers; the FSM is built under "sequencing") ----------------
        control = PassControl(m, p)
        colour, mode, measure, g, s = (control.colour, control.mode, control.measure, control.g,
                                       control.s)
        stepping, advancing = control.stepping, control.advancing
        thresholds, pending_emit, clear_acc = (control.thresholds, control.pending_emit,
                                               control.clear_acc)

        # --- stage A: window -> per-lane index and random number ---------------------------
        ext, above, below, chunk_width = neighbourhoods(p, prev, cur, nxt, s)
        if p.couplings:
            # The same windows over the sign words: the right-bond signs of the centre row
            # (extended by one site each side, as ``ext``), and the down-bond signs of the
            # centre row and of the row above (the centre sites' up bonds).
            right_signs = neighbourhoods(p, prev[W:2 * W], cur[W:2 * W], nxt[W:2 * W], s)[0]
            down_signs, up_signs = neighbourhoods(p, prev[2 * W:], cur[2 * W:], nxt[2 * W:],
                                                  s)[:2]

        a_valid, a_last, a_s, a_g = Signal(), Signal(), Signal.like(s), Signal.like(g)
        a_base = data_reg(W)
        a_mode, a_measure = Signal(2), Signal()
        a_idx = [data_reg(4, name=f"a_idx{i}") for i in range(P)]
        a_old = data_reg(P)
        a_par = data_reg(P)
        a_ups_bits = data_reg(2 * P)
        a_agree_bits = data_reg(4 * P)

        # Copies of the colour a clock late: it changes only at a pass's start, and priming takes
        # at least three clocks before the first step.
        colour_copies = registered_copies(m, colour, copies, "colour", reset_less=True)
        rng_advance = registered_copies(m, advancing, copies, "rng_advance", reset_less=True)
        rng_values = lane_rngs(m, p.rng, P, k, advance=rng_advance, load=rng_load,
                               load_value=seeder.value, seed_start=seeder.start)
        for i in range(P):
            r, q = divmod(i, chunk_width // 2)
            lane_colour = colour_copies[i // LANES_PER_COPY]
            par = lane_colour ^ (g[0] if R == 1 else (r & 1))
            e = ext[r]
            centre = Mux(par, e[2 * q + 2], e[2 * q + 1])
            left = Mux(par, e[2 * q + 1], e[2 * q])
            right = Mux(par, e[2 * q + 3], e[2 * q + 2])
            up = Mux(par, above[r][2 * q + 1], above[r][2 * q])
            down = Mux(par, below[r][2 * q + 1], below[r][2 * q])
            if p.couplings:
                # Column c's right bond is right_signs[r][c + 1], its left bond [c].
                rs = right_signs[r]
                left = left ^ Mux(par, rs[2 * q + 1], rs[2 * q])
                right = right ^ Mux(par, rs[2 * q + 2], rs[2 * q + 1])
                down = down ^ Mux(par, down_signs[r][2 * q + 2], down_signs[r][2 * q + 1])
                up = up ^ Mux(par, up_signs[r][2 * q + 1], up_signs[r][2 * q])
            ups = left + right + up + down
            m.d.sync += [a_idx[i].eq(Mux(centre, 5, 0) + ups), a_old[i].eq(centre),
                         a_par[i].eq(par)]

        ups_bits, agree_bits = [], []
        for r in range(chunk_rows):
            centre_bits = ext[r][1:chunk_width + 1]
            ups_bits.append(centre_bits)
            right_bits, above_bits = ext[r][2:chunk_width + 2], above[r]
            if p.couplings:     # B sums J_ij s_i s_j: a -1 bond agrees when the spins differ
                right_bits = right_bits ^ right_signs[r][1:chunk_width + 1]
                above_bits = above_bits ^ up_signs[r]
            agree_bits.append(~(centre_bits ^ right_bits))
            agree_bits.append(~(centre_bits ^ above_bits))
        m.d.sync += [
            a_valid.eq(stepping), a_last.eq(stepping & (s == S - 1)), a_s.eq(s), a_g.eq(g),
            a_base.eq(cur[:W]), a_mode.eq(mode), a_measure.eq(stepping & measure),
            a_ups_bits.eq(Cat(*ups_bits)), a_agree_bits.eq(Cat(*agree_bits)),
        ]

        # --- stage T: threshold lookup, partial counts --------------------------------
        # A separate stage because the 10:1 threshold mux followed by the compare was the
        # critical path; partial pop-counts here keep the observables' adder tree short too.
        table = Array(thresholds[e] for e in range(TABLE_SIZE))
        lutram = uses_lutram(self.threshold_table, platform)
        load_cycles = table_load_cycles(P)
        table_step = Signal(range(load_cycles))
        table_addr = table_step[:4]
        table_we = Signal()
        lane_tables = (lutram_lane_tables(m, P, k, table, table_addr, table_we, table_step, a_idx)
                       if lutram else [])
        t_valid, t_last, t_s, t_g = Signal(), Signal(), Signal.like(s), Signal.like(g)
        t_base = data_reg(W)
        t_mode = Signal(2)
        t_threshold = [data_reg(k + 1, name=f"t_threshold{i}") for i in range(P)]
        t_old, t_par = data_reg(P), data_reg(P)
        t_rand = [data_reg(k, name=f"t_rand{i}") for i in range(P)]
        for i in range(P):
            looked_up = lane_tables[i] if lutram else table[a_idx[i]]
            m.d.sync += [t_threshold[i].eq(looked_up), t_rand[i].eq(rng_values[i])]
        m.d.sync += [
            t_valid.eq(a_valid), t_last.eq(a_last), t_s.eq(a_s), t_g.eq(a_g), t_base.eq(a_base),
            t_mode.eq(a_mode), t_old.eq(a_old), t_par.eq(a_par),
        ]

        # --- stage B: threshold compare, new spins and flips registered, counts ---------------
        # The compare and the merge into the write buffer are separate stages: together they
        # were the critical path at L=256, P=256 (lane → write buffer → block RAMs, three hops
        # across the chip), so each lane's new spin is registered next to the lane first.
        b_store, b_g, b_s = Signal(), Signal.like(g), Signal.like(s)
        b_base = data_reg(W)
        b_new, b_par = data_reg(P), data_reg(P)
        b_flip_bits = Signal(P)
        flip = Signal(P)
        new = Signal(P)
        # Stage T's mode and valid bits, once per LANES_PER_COPY lanes (same timing as t_mode).
        t_update = registered_copies(m, a_mode == PassMode.UPDATE, copies, "t_update",
                                     reset_less=True)
        t_hot = registered_copies(m, a_mode == PassMode.HOT, copies, "t_hot", reset_less=True)
        t_valid_copies = registered_copies(m, a_valid, copies, "t_valid", reset_less=True)
        for i in range(P):
            copy = i // LANES_PER_COPY
            m.d.comb += flip[i].eq(t_update[copy] & (t_rand[i] < t_threshold[i]))
            m.d.comb += new[i].eq(Mux(t_hot[copy], t_rand[i][k - 1], t_old[i] ^ flip[i]))
        m.d.sync += [
            b_new.eq(new), b_par.eq(t_par), b_base.eq(t_base), b_s.eq(t_s), b_g.eq(t_g),
            b_store.eq(t_valid & t_last & (t_mode != PassMode.MEASURE)),
            b_flip_bits.eq(Cat(flip[i] & t_valid_copies[i // LANES_PER_COPY] for i in range(P))),
        ]

        # --- stage C: merge into the write buffer ----------------------------------------
        wbuf = data_reg(W)
        # The pipeline's write strobe for stage D, one copy per WORD_SLICE bits of the word to
        # select the write data (see ``write_en`` below).
        spin_slices = group_count(W, WORD_SLICE)      # the spins' part of the window
        c_write_copies = registered_copies(m, b_store, spin_slices, "c_write", reset_less=True)
        b_valid_copies = registered_copies(m, t_valid, copies, "b_valid", reset_less=True)
        base = Mux(b_s == 0, b_base, wbuf) if S > 1 else b_base
        for bit in range(W):
            if S == 1:
                r, column = divmod(bit, L)
                lane = r * (L // 2) + column // 2
                take = b_par[lane] == (column & 1)
            else:
                chunk, offset = divmod(bit, chunk_width)
                lane = offset // 2
                take = (b_s == chunk) & (b_par[lane] == (offset & 1))
            with m.If(b_valid_copies[lane // LANES_PER_COPY]):
                m.d.sync += wbuf[bit].eq(Mux(take, b_new[lane], base[bit]))

        # --- the counts (``SweepCounts``): M and B of measured steps, accepted flips ----------
        m.submodules.counts = counts = SweepCounts(p)
        m.d.comb += [counts.ups_bits.eq(a_ups_bits), counts.agree_bits.eq(a_agree_bits),
                     counts.measure.eq(a_measure), counts.clear.eq(clear_acc),
                     counts.flip_bits.eq(b_flip_bits), self.flips.eq(counts.flips)]
        # Valid flags beside everything after stage T: the write-back (B, C), the flip count
        # and the count trees (which only MEASURE-flagged steps use).
        valid_line = delayed(m, t_valid, max(counts.flip_latency, counts.count_stages),
                             "in_flight")

        # ``idle`` and ``cold_write`` are registers equal to "the FSM is in IDLE" and "... in
        # COLD" (set on the transitions below): the memory's address multiplexers select with
        # them, not with a decode of the FSM state (that decode was on the critical path).
        idle = Signal(init=1)
        cold_write = Signal()
        cold_addr = Signal.like(g)
        # The write port's enable, address and data come from registers, each written a clock
        # ahead (``b_store``/``b_g`` for the pipeline; the host's and the cold start's writes
        # land a clock after they are asked for): a multiplexer between a register and the 15
        # block RAMs' inputs was the critical path at L=256, P=256. The data is selected per
        # WORD_SLICE bits by copies of the select registers (one net to the W multiplexers took
        # 14.8 ns of routing).
        write_en = Signal()
        sign_write_en = Signal()      # the host's write of a word's coupling signs
        write_addr = Signal.like(g, reset_less=True)
        host_wdata = data_reg(MW)
        m.d.sync += [
            write_en.eq(b_store | cold_write | (idle & self.lattice_we)),
            sign_write_en.eq(~b_store & ~cold_write & idle & self.lattice_we),
            write_addr.eq(Mux(b_store, b_g, Mux(cold_write, cold_addr, self.lattice_addr))),
            host_wdata.eq(self.lattice_wdata),
        ]
        cold_copies = registered_copies(m, cold_write, spin_slices, "cold_write",
                                        reset_less=True)
        write_data = []  # the multiplexers of each slice, W bits in all (checked below)
        for j in range(spin_slices):
            bits = slice(j * WORD_SLICE, min(W, (j + 1) * WORD_SLICE))
            width = bits.stop - bits.start
            write_data.append(Mux(c_write_copies[j], wbuf[bits],
                                  Mux(cold_copies[j], Const(-1, unsigned(width)),
                                      host_wdata[bits])))
        assert sum(len(part) for part in write_data) == W
        m.d.comb += [
            self.busy.eq(~idle),
            wr.en.eq(Cat(write_en, sign_write_en, sign_write_en) if p.couplings else write_en),
            wr.addr.eq(write_addr),
            # (a signed constant here once made a slice 65 bits)
            wr.data.eq(Cat(*write_data, host_wdata[W:]) if p.couplings else Cat(*write_data)),
            self.lattice_rdata.eq(rd_data),
        ]

        # --- observables output (through the sums and the decimation, if the core has them) --
        records = self.observables
        if p.sums:
            m.submodules.sums = sums = ObservableSums(p)
            records = sums.records
            starts_run = self.start & ~self.busy & (Value.cast(self.op) == IsingOp.RUN)
            wiring.connect(m, sums.observables, wiring.flipped(self.observables))
            m.d.comb += [sums.clear.eq(starts_run), sums.every.eq(self.every),
                         self.sums.eq(sums.sums)]
        with m.If(records.ready):
            m.d.sync += records.valid.eq(0)
        with m.If(pending_emit & ~counts.counting & (~records.valid | records.ready)):
            m.d.sync += [
                records.payload.magnetization.eq(2 * counts.ups - L * L),
                records.payload.bond_sum.eq(2 * counts.agree - 2 * L * L),
                records.valid.eq(1),
                pending_emit.eq(0),
            ]

        # --- sequencing (``PassControl.sequence``) ---------------------------------------------
        prime, prime_loads = control.sequence(
            self, seeder=seeder, read_port=rd, window=(prev, cur, nxt), table_step=table_step,
            table_we=table_we, load_cycles=load_cycles, idle=idle, cold_write=cold_write,
            cold_addr=cold_addr, write_en=write_en, in_flight=(a_valid, t_valid, valid_line))

        # --- the window's loads, per WORD_SLICE bits ----------------------------------------
        window_loads(m, p, (prev, cur, nxt), rd_data, control, prime, prime_loads)
        return m
