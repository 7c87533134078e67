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

from amaranth import Array, Cat, C, Const, Module, Mux, Signal, unsigned, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_copies, replica_signals
from .lane_rng import LaneRng
from .params import IsingOp, IsingParams, READ_LATENCY, TABLE_SIZE
from .popcount import chunked, delayed, pipelined_sum, popcount
from .seeder import SplitMix64Seeder

__all__ = ["IsingCore", "ObservablesLayout", "PassMode", "THRESHOLD_TABLES",
           "table_load_cycles"]

# How each lane looks up its threshold: "mux" selects from the shared table register (a 10:1
# mux of k+1 bits per lane, about 100 LUT4 on ECP5); "lutram" gives every lane its own copy in
# distributed RAM (5 DPR16X4 per lane on ECP5), written from the shared table at the start of a
# RUN; "auto" picks "lutram" on ECP5 and "mux" elsewhere (iCE40 has no distributed RAM).
THRESHOLD_TABLES = ("auto", "mux", "lutram")
# The table write reaches the lanes through a chain of registers, one per TABLE_GROUP lanes, so no
# net fans out to all lanes (broadcast to 64 lanes it needed 10 ns of routing alone on ECP5).
TABLE_GROUP = 16


def table_load_cycles(lanes: int) -> int:
    """Clocks between a RUN's (or hot start's) start and its first pass: the table's entries, then
    the write chain's latency."""
    return TABLE_SIZE + -(-lanes // TABLE_GROUP)


# Control signals that every lane reads (the RNG advance, the colour, the stage-T mode and valid
# bits) are registered once per LANES_PER_COPY lanes (``bitspin.hw.replica``): as single nets to all
# lanes they were the critical paths at L=256, P=256 (the RNG advance alone: 12 ns of routing
# to 16 384 flip-flops).
LANES_PER_COPY = 4

# Bits pop-counted per partial sum in stage T: 64 limited an L=64, P=16 build to about 100 MHz,
# and 32 was the critical path of an L=256, P=256 build at 84.6 MHz (nine LUT levels, a carry).
POPCOUNT_CHUNK = 16
WORD_SLICE = 64  # window bits per copy of the shift and priming enables
SUM_FAN_IN = 4  # values added per register of the count trees (``pipelined_sum``)

ObservablesLayout = data.StructLayout({"magnetization": signed(32), "bond_sum": signed(32)})


def data_reg(width: int, name: str | None = None) -> Signal:
    """A datapath register: no sync reset (see the reset note in ``IsingCore.elaborate``)."""
    return Signal(width, name=name, reset_less=True, src_loc_at=1)


class PassMode:
    UPDATE, HOT, MEASURE = 0, 1, 2


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
        p = params
        super().__init__({
            "op": In(IsingOp),
            "start": In(1),
            "seed": In(64),
            "sweeps": In(32),
            "thresholds": In(data.ArrayLayout(unsigned(p.k + 1), TABLE_SIZE)),
            "busy": Out(1),
            "observables": Out(stream.Signature(ObservablesLayout)),
            "lattice_addr": In(range(max(2, p.groups))),
            "lattice_wdata": In(p.word_bits),
            "lattice_we": In(1),
            "lattice_rdata": Out(p.word_bits),
            "update_cycles": Out(48),
            "run_cycles": Out(48),
            "stall_cycles": Out(48),
            "flips": Out(48),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        L, P, k = p.size, p.lanes, p.k
        R, G, S, W = p.rows_per_group, p.groups, p.steps_per_group, p.word_bits
        chunk_rows = R if S == 1 else 1
        chunk_width = 2 * P // chunk_rows  # columns of each chunk row handled in one step

        # --- lattice memory and its window -------------------------------------------------
        m.submodules.memory = memory = Memory(shape=unsigned(W), depth=G, init=[])
        wr = memory.write_port()
        rd = memory.read_port(transparent_for=(wr,))
        # The block RAM's clock-to-output (5.6 ns on ECP5) was the critical path: its data is
        # registered once before any logic, so reads take two clocks.
        # Datapath registers are reset_less (``data``): a sync reset of every lane's registers was
        # one net to ~38 000 flip-flops, the critical path at L=256, P=256 (19 ns of routing).
        # They are loaded before they are used, and hold their configuration value until then.
        rd_data = data_reg(W)
        m.d.sync += rd_data.eq(rd.data)
        prev, cur, nxt = data_reg(W), data_reg(W), data_reg(W)

        # --- lane RNGs and the seeder's shift chain -----------------------------------------
        lanes = [LaneRng(k) for _ in range(P)]
        for i, lane in enumerate(lanes):
            m.submodules[f"rng{i}"] = lane
        m.submodules.seeder = seeder = SplitMix64Seeder(P)
        m.d.comb += seeder.seed.eq(self.seed)
        copies = group_count(P, LANES_PER_COPY)
        # The lane RNGs run one clock behind the schedule: their advance and load enables are
        # registered copies (see LANES_PER_COPY), so each state is exactly the one the schedule
        # had a clock earlier, and stage T (not stage A) takes the random number. The seeder
        # holds ``value`` between ``valid`` pulses, so a late load sees the same value.
        rng_load = registered_copies(m, seeder.valid, copies, "rng_load", reset_less=True)
        for i, lane in enumerate(lanes):
            m.d.comb += [lane.load.eq(rng_load[i // LANES_PER_COPY]),
                         lane.load_state.eq(seeder.value if i == P - 1 else lanes[i + 1].state)]

        # --- pass control ---------------------------------------------------------------
        colour = Signal()
        mode = Signal(2)
        measure = Signal()
        # Priming clocks, then (stepping and) the first tail clock, then the other tail clocks.
        cycle = Signal(range(p.pass_overhead_cycles))
        g = Signal(range(max(2, G)))
        s = Signal(range(max(2, S)))
        # s3: the step within a group three steps ahead of (g, s); g3_ahead: wrap(g + 2) three
        # steps ahead, the group the read port asks for. Kept in registers so that the read
        # address needs no adder chain on g and s (it was the critical path at L=256, P=64).
        s3 = Signal(range(max(2, S)))
        g3_ahead = Signal(range(max(2, G)))
        stepping = Signal()
        # Copies of ``stepping``, one per WORD_SLICE bits of the window: it enables every window
        # register (3·W flip-flops). Reset-less (no reset net across the chip to them): after a
        # reset in mid-pass a copy may shift the idle window until the next pass sets it, and
        # the priming loads take precedence over the shift, so that pass's window is exact.
        word_slices = group_count(W, WORD_SLICE)
        stepping_copies = replica_signals(stepping, word_slices, "stepping", reset_less=True)
        # A register, high in the clock before a pass's priming clock 0; it starts the chain of
        # registers that enables the window's priming loads (``prime_chain`` below), so no FSM
        # decode drives those enables across the chip.
        priming_next = Signal()

        # With S > 1, copies per slice of "s is a group's last step" (the window shifts after
        # it), kept beside s: s itself, one net to every slice, was the critical path at
        # L=256, P=256 (9.3 ns of routing). With S = 1 every step is a group's last.
        last_step_copies = (replica_signals(Signal(), word_slices, "last_step", reset_less=True)
                            if S > 1 else [])

        # ``advancing``: stepping in a pass whose RNGs advance (not a MEASURE pass), a register
        # kept beside ``stepping`` so that the lanes' advance copies load from a flip-flop (a
        # decode of ``mode`` shared with the FSM sat between them and took the FSM across the
        # chip).
        advancing = Signal()

        def set_stepping(value):
            m.d.sync += [stepping.eq(value), *[copy.eq(value) for copy in stepping_copies],
                         advancing.eq((mode != PassMode.MEASURE) if value else 0)]

        def set_s(value, last):
            """s ← value, where ``last`` says whether value == S - 1."""
            m.d.sync += [s.eq(value), *[copy.eq(last) for copy in last_step_copies]]
        thresholds = Signal(data.ArrayLayout(unsigned(k + 1), TABLE_SIZE), reset_less=True)
        sweeps_left = Signal(32)
        first_sweep = Signal()
        pending_emit = Signal()
        clear_acc = Signal()

        def wrap(value):
            return value % G if G > 1 else C(0, 1)

        # --- stage A: window -> per-lane index and random number ---------------------------
        def row(word, r):
            return word[r * L:(r + 1) * L]

        above_rows = [row(prev, R - 1) if r == 0 else row(cur, r - 1) for r in range(R)]
        below_rows = [row(nxt, 0) if r == R - 1 else row(cur, r + 1) for r in range(R)]
        ext, above, below = [], [], []
        for r in range(chunk_rows):
            centre_row = row(cur, r)
            if S == 1:
                ext.append(Cat(centre_row[L - 1], centre_row, centre_row[0]))
                above.append(above_rows[r])
                below.append(below_rows[r])
            else:
                ext.append(Array([Cat(centre_row[(c * chunk_width - 1) % L],
                                      centre_row[c * chunk_width:(c + 1) * chunk_width],
                                      centre_row[((c + 1) * chunk_width) % L])
                                  for c in range(S)])[s])
                above.append(Array([above_rows[r][c * chunk_width:(c + 1) * chunk_width]
                                    for c in range(S)])[s])
                below.append(Array([below_rows[r][c * chunk_width:(c + 1) * chunk_width]
                                    for c in range(S)])[s])

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
            ups = left + right + up + down
            m.d.sync += [a_idx[i].eq(Mux(centre, 5, 0) + ups), a_old[i].eq(centre),
                         a_par[i].eq(par)]
            m.d.comb += lanes[i].advance.eq(rng_advance[i // LANES_PER_COPY])

        ups_bits, agree_bits = [], []
        for r in range(chunk_rows):
            centre_bits = ext[r][1:chunk_width + 1]
            ups_bits.append(centre_bits)
            agree_bits.append(~(centre_bits ^ ext[r][2:chunk_width + 2]))
            agree_bits.append(~(centre_bits ^ above[r]))
        m.d.sync += [
            a_valid.eq(stepping), a_last.eq(stepping & (s == S - 1)), a_s.eq(s), a_g.eq(g),
            a_base.eq(cur), a_mode.eq(mode), a_measure.eq(stepping & measure),
            a_ups_bits.eq(Cat(*ups_bits)), a_agree_bits.eq(Cat(*agree_bits)),
        ]

        # --- stage T: threshold lookup, partial counts --------------------------------
        # A separate stage because the 10:1 threshold mux followed by the compare was the
        # critical path; partial pop-counts here keep the observables' adder tree short too.
        table = Array(thresholds[e] for e in range(TABLE_SIZE))
        lutram = self.threshold_table == "lutram" or (
            self.threshold_table == "auto" and getattr(platform, "family", None) == "ecp5")
        load_cycles = table_load_cycles(P)
        table_step = Signal(range(load_cycles))
        table_addr = table_step[:4]
        table_we = Signal()
        lane_tables = []
        if lutram:
            chain = []      # (addr, data, we) registered once per group of TABLE_GROUP lanes
            source = (table_addr, table[table_addr], table_we & (table_step < TABLE_SIZE))
            for group in range(-(-P // TABLE_GROUP)):
                # reset_less: a stale write enable is flushed by the chain within P/16 clocks
                stage = (data_reg(4, name=f"table_waddr{group}"),
                         data_reg(k + 1, name=f"table_wdata{group}"),
                         data_reg(1, name=f"table_we{group}"))
                m.d.sync += [mine.eq(theirs) for mine, theirs in zip(stage, source)]
                chain.append(stage)
                source = stage
            for i in range(P):
                memory = Memory(shape=unsigned(k + 1), depth=TABLE_SIZE, init=[])
                m.submodules[f"table{i}"] = memory
                write, read = memory.write_port(), memory.read_port(domain="comb")
                waddr, wdata, we = chain[i // TABLE_GROUP]
                m.d.comb += [write.addr.eq(waddr), write.data.eq(wdata), write.en.eq(we),
                             read.addr.eq(a_idx[i])]
                lane_tables.append(read.data)
        t_valid, t_last, t_s, t_g = Signal(), Signal(), Signal.like(s), Signal.like(g)
        t_base = data_reg(W)
        t_mode, t_measure = Signal(2), Signal()
        t_threshold = [data_reg(k + 1, name=f"t_threshold{i}") for i in range(P)]
        t_old, t_par = data_reg(P), data_reg(P)
        t_rand = [data_reg(k, name=f"t_rand{i}") for i in range(P)]
        ups_chunks = chunked(a_ups_bits, POPCOUNT_CHUNK)
        agree_chunks = chunked(a_agree_bits, POPCOUNT_CHUNK)
        t_ups_parts = [Signal(range(len(c) + 1), name=f"t_ups{j}") for j, c in enumerate(ups_chunks)]
        t_agree_parts = [Signal(range(len(c) + 1), name=f"t_agree{j}")
                         for j, c in enumerate(agree_chunks)]
        for i in range(P):
            looked_up = lane_tables[i] if lutram else table[a_idx[i]]
            m.d.sync += [t_threshold[i].eq(looked_up), t_rand[i].eq(lanes[i].value)]
        m.d.sync += [
            t_valid.eq(a_valid), t_last.eq(a_last), t_s.eq(a_s), t_g.eq(a_g), t_base.eq(a_base),
            t_mode.eq(a_mode), t_measure.eq(a_measure), t_old.eq(a_old), t_par.eq(a_par),
            *[part.eq(popcount(c)) for part, c in zip(t_ups_parts, ups_chunks)],
            *[part.eq(popcount(c)) for part, c in zip(t_agree_parts, agree_chunks)],
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
        c_write_copies = registered_copies(m, b_store, word_slices, "c_write", reset_less=True)
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

        # --- the counts: summed over pipelined trees, then accumulated ---------------------
        # The stage-T partial counts and the flip bits are summed through registered trees of
        # SUM_FAN_IN-input adders: a sum of 8 or 16 partial counts in one stage was 9–10 LUT
        # levels on ECP5 (Yosys maps such multi-operand sums to LUT full-adder trees) and the
        # critical path at L=256, P=256. The trees' latency costs nothing: the (M, B) output
        # and the end of an operation wait for the flags that travel beside them.
        ups_total, ups_stages = pipelined_sum(m, t_ups_parts, SUM_FAN_IN, "ups_sum")
        agree_total, agree_stages = pipelined_sum(m, t_agree_parts, SUM_FAN_IN, "agree_sum")
        count_stages = max(ups_stages, agree_stages)
        ups_count = ([ups_total] + delayed(m, ups_total, count_stages - ups_stages, "ups_late"))[-1]
        agree_count = ([agree_total] +
                       delayed(m, agree_total, count_stages - agree_stages, "agree_late"))[-1]
        measure_line = delayed(m, t_measure, count_stages, "counting")  # beside the trees
        counted = ([t_measure] + measure_line)[-1]
        acc_ups = Signal(range(L * L + 1))
        acc_agree = Signal(range(2 * L * L + 1))
        with m.If(clear_acc):
            m.d.sync += [acc_ups.eq(0), acc_agree.eq(0)]
        with m.Elif(counted):
            m.d.sync += [acc_ups.eq(acc_ups + ups_count), acc_agree.eq(acc_agree + agree_count)]
        # The flip bits (stage B) are pop-counted in chunks, then summed the same way; flips of
        # invalid steps are zero, so the count adds every clock.
        flip_chunks = chunked(b_flip_bits, POPCOUNT_CHUNK)
        c_flip_parts = [Signal(range(len(c) + 1), name=f"c_flips{j}")
                        for j, c in enumerate(flip_chunks)]
        m.d.sync += [part.eq(popcount(c)) for part, c in zip(c_flip_parts, flip_chunks)]
        flip_total, flip_stages = pipelined_sum(m, c_flip_parts, SUM_FAN_IN, "flip_sum")
        m.d.sync += self.flips.eq(self.flips + flip_total)
        # Valid flags beside everything after stage T: the write-back (B, C), the flip count
        # (B, the chunks, the tree) and the count trees (which only MEASURE-flagged steps use).
        valid_line = delayed(m, t_valid, max(2 + flip_stages, count_stages), "in_flight")

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
        write_addr = Signal.like(g, reset_less=True)
        host_wdata = data_reg(W)
        m.d.sync += [
            write_en.eq(b_store | cold_write | (idle & self.lattice_we)),
            write_addr.eq(Mux(b_store, b_g, Mux(cold_write, cold_addr, self.lattice_addr))),
            host_wdata.eq(self.lattice_wdata),
        ]
        cold_copies = registered_copies(m, cold_write, word_slices, "cold_write",
                                        reset_less=True)
        write_data = []  # the multiplexers of each slice, W bits in all (checked below)
        for j in range(word_slices):
            bits = slice(j * WORD_SLICE, min(W, (j + 1) * WORD_SLICE))
            width = bits.stop - bits.start
            write_data.append(Mux(c_write_copies[j], wbuf[bits],
                                  Mux(cold_copies[j], Const(-1, unsigned(width)),
                                      host_wdata[bits])))
        assert sum(len(part) for part in write_data) == W
        m.d.comb += [
            self.busy.eq(~idle),
            wr.en.eq(write_en),
            wr.addr.eq(write_addr),
            wr.data.eq(Cat(*write_data)),  # (a signed constant here once made a slice 65 bits)
            self.lattice_rdata.eq(rd_data),
        ]

        # --- observables output --------------------------------------------------------
        with m.If(self.observables.ready):
            m.d.sync += self.observables.valid.eq(0)
        with m.If(pending_emit & ~Cat(a_measure, t_measure, *measure_line).any() &
                  (~self.observables.valid | self.observables.ready)):
            m.d.sync += [
                self.observables.payload.magnetization.eq(2 * acc_ups - L * L),
                self.observables.payload.bond_sum.eq(2 * acc_agree - 2 * L * L),
                self.observables.valid.eq(1),
                pending_emit.eq(0),
            ]

        # --- sequencing -----------------------------------------------------------------
        # The read address is registered before the block RAMs (READ_LATENCY: three clocks from
        # ``read_addr`` to ``rd_data``): the FSM's decode in front of the 15 block RAMs' address
        # inputs was the critical path at L=256, P=256 (12.7 ns, 11 of them routing).
        read_addr = Signal.like(g)
        read_addr_q = Signal.like(g, reset_less=True)
        m.d.sync += read_addr_q.eq(Mux(idle, self.lattice_addr, read_addr))
        m.d.comb += rd.addr.eq(read_addr_q)
        with m.If(stepping & (mode == PassMode.UPDATE)):
            m.d.sync += self.update_cycles.eq(self.update_cycles + 1)

        def begin_pass(next_colour, next_mode, next_measure):
            m.d.sync += [colour.eq(next_colour), mode.eq(next_mode), measure.eq(next_measure),
                         cycle.eq(0)]

        prime = p.prime_cycles
        # Overlapped with the previous tail (or the TABLE or REFETCH state), the three clocks
        # before a pass ask for groups 0, 1 and G-1 (``prefetch``); their data lands in the
        # window at priming clocks 0, 1 and 2 (``prime_loads``: READ_LATENCY clocks after each
        # address). G-1's last write lands in the clock its read reaches the block RAM (the port
        # is transparent to the write). The priming clocks then ask for the groups the first
        # three steps' shifts load, as in the stepping rule below. With fewer than three groups
        # the priming asks for groups 0 and 1 itself (they are still being written in the tail).
        first_steps = [(n // S + 2) % G for n in range(READ_LATENCY)]
        if prime == 3:
            prime_addresses = first_steps
            prime_loads = {0: cur, 1: nxt, 2: prev}
        else:
            prime_addresses = [0, 1 % G] + first_steps
            prime_loads = {2: prev, 3: cur, 4: nxt}
        prefetch_groups = [0, 1 % G, G - 1]
        hot_op = Signal()

        def prefetch(index):
            """Ask for the index-th group (0, 1, G-1) of the pass that follows."""
            m.d.comb += read_addr.eq(prefetch_groups[index])

        def prefetch_until(last_step):
            """In a state that counts ``table_step`` up to ``last_step`` and then starts a pass:
            prefetch in its last READ_LATENCY steps, and raise ``priming_next`` for the last."""
            for index in range(READ_LATENCY):
                with m.If(table_step == last_step - (READ_LATENCY - 1) + index):
                    prefetch(index)
            with m.If(table_step == last_step - 1):
                m.d.sync += priming_next.eq(1)

        # Start strobes and latches that cross the chip from the FSM are registered first: the
        # FSM sits far from the seeder and the table source at L=256, P=256, and start → FSM
        # decode → seeder took two cross-chip hops (14.6 ns).
        seed_start = Signal()
        m.d.sync += [seed_start.eq(0), priming_next.eq(0)]
        m.d.comb += seeder.start.eq(seed_start)
        # The seeder's busy flag comes back registered too (seeder → FSM was the next such
        # path); it rises two clocks after ``seed_start``, so SEED waits those out first.
        seeder_busy, seed_started = Signal(), Signal()
        m.d.sync += [seeder_busy.eq(seeder.busy), seed_started.eq(seed_start)]
        with m.If(idle):  # the value at the start clock is the last one latched: "at start"
            m.d.sync += thresholds.eq(self.thresholds)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    with m.Switch(self.op):
                        with m.Case(IsingOp.SEED):
                            m.d.sync += [seed_start.eq(1), idle.eq(0)]
                            m.next = "SEED"
                        with m.Case(IsingOp.INIT_COLD):
                            m.d.sync += [cold_addr.eq(0), idle.eq(0), cold_write.eq(1)]
                            m.next = "COLD"
                        with m.Case(IsingOp.INIT_HOT):
                            m.d.sync += [hot_op.eq(1), table_step.eq(0), idle.eq(0)]
                            m.next = "TABLE"
                        with m.Case(IsingOp.RUN):
                            with m.If(self.sweeps != 0):
                                m.d.sync += [sweeps_left.eq(self.sweeps), first_sweep.eq(1),
                                             hot_op.eq(0), table_step.eq(0), idle.eq(0)]
                                m.next = "TABLE"
            with m.State("TABLE"):
                # Copy the latched table into the lanes' own tables, one entry per clock (the
                # same clocks with either lookup, so the timing never depends on the platform);
                # the last three clocks prefetch the first pass's groups 0, 1 and G-1.
                m.d.comb += table_we.eq(1)
                prefetch_until(load_cycles - 1)
                m.d.sync += table_step.eq(table_step + 1)
                with m.If(table_step == load_cycles - 1):
                    with m.If(hot_op):
                        begin_pass(0, PassMode.HOT, 0)
                    with m.Else():
                        begin_pass(0, PassMode.UPDATE, 1)
                    m.next = "PASS"
            with m.State("SEED"):
                with m.If(~seeder_busy & ~seed_start & ~seed_started):
                    m.d.sync += idle.eq(1)
                    m.next = "IDLE"
            with m.State("COLD"):
                m.d.sync += cold_addr.eq(cold_addr + 1)
                with m.If(cold_addr == G - 1):
                    m.d.sync += [idle.eq(1), cold_write.eq(0)]
                    m.next = "IDLE"
            with m.State("PASS"):
                with m.If(mode != PassMode.HOT):
                    m.d.sync += self.run_cycles.eq(self.run_cycles + 1)
                with m.If(cycle < prime):
                    m.d.sync += cycle.eq(cycle + 1)
                    with m.Switch(cycle):
                        for index in range(prime):
                            with m.Case(index):
                                m.d.comb += read_addr.eq(prime_addresses[index] % G)
                                if index == 0:
                                    m.d.comb += clear_acc.eq(measure)
                                if index == prime - 1:
                                    set_stepping(1)
                                    set_s(0, S == 1)
                                    m.d.sync += [g.eq(0), s3.eq(READ_LATENCY % S),
                                                 g3_ahead.eq((READ_LATENCY // S + 2) % G)]
                with m.Elif(stepping):
                    # Data arrives three clocks after its address: ask now for the group that
                    # the shift three clocks ahead (if any) loads, g(t+3) + 2.
                    m.d.comb += read_addr.eq(g3_ahead)
                    with m.If(s3 == S - 1):
                        m.d.sync += [s3.eq(0), g3_ahead.eq(wrap(g3_ahead + 1))]
                    with m.Else():
                        m.d.sync += s3.eq(s3 + 1)
                    with m.If(s == S - 1):
                        set_s(0, S == 1)
                        m.d.sync += g.eq(g + 1)  # the window shifts (below)
                        with m.If(g == G - 1):
                            set_stepping(0)
                    with m.Else():
                        set_s(s + 1, s == S - 2)
                with m.Elif(cycle == prime):
                    prefetch(0)
                    m.d.sync += cycle.eq(prime + 1)  # first tail clock: stage T of the last step
                with m.Elif(cycle == prime + 1):
                    prefetch(1)
                    m.d.sync += cycle.eq(prime + 2)  # stage B of the last step
                    # Decided a clock ahead (see ``priming_next``): does a pass follow at once?
                    # After a colour-1 pass only if the last (M, B) has been taken.
                    m.d.sync += priming_next.eq(Mux(
                        colour == 0, mode != PassMode.MEASURE,
                        (mode == PassMode.UPDATE) & ~pending_emit))
                with m.Else():
                    # The last tail clock: stage C of the last step. Choose what follows;
                    # stage D's write of group G-1 meets this clock's read of it at the RAM.
                    prefetch(2)
                    with m.If(mode == PassMode.HOT):
                        with m.If(colour == 0):
                            begin_pass(1, PassMode.HOT, 0)
                        with m.Else():
                            m.next = "FINISH"
                    with m.Elif(mode == PassMode.MEASURE):
                        m.d.sync += pending_emit.eq(1)
                        m.next = "FINISH"
                    with m.Elif(colour == 0):
                        m.d.sync += [pending_emit.eq(~first_sweep), first_sweep.eq(0)]
                        begin_pass(1, PassMode.UPDATE, 0)
                    with m.Else():
                        m.d.sync += sweeps_left.eq(sweeps_left - 1)
                        next_mode = Mux(sweeps_left == 1, PassMode.MEASURE, PassMode.UPDATE)
                        begin_pass(0, next_mode, 1)
                        with m.If(~priming_next):
                            m.next = "WAIT_EMIT"
            with m.State("WAIT_EMIT"):
                # The previous sweep's (M, B) is still unread: a slow host (a UART) stalls the
                # core here, and only here, so these clocks are counted apart.
                m.d.sync += self.stall_cycles.eq(self.stall_cycles + 1)
                with m.If(~pending_emit):
                    m.d.sync += table_step.eq(0)
                    m.next = "REFETCH"
            with m.State("REFETCH"):
                # The tail's prefetch went stale while waiting: fetch groups 0, 1, G-1 again.
                m.d.sync += [self.stall_cycles.eq(self.stall_cycles + 1),
                             table_step.eq(table_step + 1)]
                prefetch_until(READ_LATENCY - 1)
                with m.If(table_step == READ_LATENCY - 1):
                    m.next = "PASS"
            with m.State("FINISH"):
                with m.If(~pending_emit & ~write_en &
                          ~Cat(a_valid, t_valid, *valid_line).any()):
                    m.d.sync += idle.eq(1)
                    m.next = "IDLE"

        # --- the window's loads, per WORD_SLICE bits --------------------------------------
        # Priming clock k's load enable is registered (copies per slice) from the chain
        # priming_next → priming clock 0 → 1 …, so it is high in priming clock k; stepping
        # shifts the window at the end of each group (the two never coincide, except after a
        # reset: see ``stepping_copies``).
        prime_chain = [priming_next] + [Signal(name=f"priming_clock{i}") for i in range(prime - 1)]
        m.d.sync += [later.eq(earlier) for earlier, later in zip(prime_chain, prime_chain[1:])]
        load_at = {index: registered_copies(m, prime_chain[index], word_slices,
                                            f"prime_load{index}", reset_less=True)
                   for index in prime_loads}
        for j in range(word_slices):
            bits = slice(j * WORD_SLICE, min(W, (j + 1) * WORD_SLICE))
            with m.If(Cat(load_at[index][j] for index in prime_loads).any()):
                for index, register in prime_loads.items():
                    with m.If(load_at[index][j]):
                        m.d.sync += register[bits].eq(rd_data[bits])
            with m.Elif(stepping_copies[j] & (last_step_copies[j] if S > 1 else 1)):
                m.d.sync += [prev[bits].eq(cur[bits]), cur[bits].eq(nxt[bits]),
                             nxt[bits].eq(rd_data[bits])]
        return m
