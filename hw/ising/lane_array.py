"""The Ising core's P lanes: stages A (neighbourhood → table index), T (threshold lookup, the
random number) and B (compare, the new spin), with the window bits the counts need."""

from amaranth import Array, Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_tree
from .params import IsingParams, TABLE_SIZE
from .sequencer import PassMode
from .threshold_compare import ThresholdCompare
from .threshold_tables import TABLE_GROUP, lutram_lane_tables, table_load_cycles, uses_lutram
from .timing import LANES_PER_COPY, data_reg
from .window import neighbourhoods

__all__ = ["LaneArray", "SETTLE_CYCLES"]

#: Clocks from a change of ``colour`` or ``thresholds`` until every lane's copy holds it: the
#: colour through a tree of two registers, metropolis-h0's J sign and threshold pair through a
#: register and then such a tree. The core's TABLE state (``table_load_cycles``, at least 11
#: clocks) covers it before a pass's first step.
SETTLE_CYCLES = 3


class LaneArray(wiring.Component):
    """One step of P site updates, three clocks deep.

    Each clock the window (``prev``, ``cur``, ``nxt``, memory words of
    ``params.memory_word_bits`` bits) and the step's position (``g``, ``s``, ``colour``,
    ``mode``) enter with ``stepping``; ``rand[i]`` is lane i's k-bit number, taken a clock later
    (stage T, where the core's generators, advanced a clock late, have it).

    Stage A (registered ``a_*``): each lane's spin, its parity in the row, and its table index
    ``5·up + ups`` with bonds of sign −1 inverting the neighbour (``params.couplings``); the
    window's centre bits (``ups_bits``) and the agreements of their right and up bonds
    (``agree_bits``) for the counts, with ``measuring`` set for a MEASURE-flagged step.
    Stage T: the threshold (from ``thresholds``, or per-lane distributed-RAM copies written from it
    entry ``table_step`` per clock of ``table_we``, see ``threshold_tables``) and the number.
    With ``params.lane_rule`` ``metropolis-h0`` the lanes hold no table: stage A classes the
    flip's cost by the agreeing neighbours, stage B compares with one of the two thresholds of
    ``params.h0_thresholds`` (copied beside every ``TABLE_GROUP`` lanes; the class selects it
    into a register in stage T, or with ``hand_placed_compare`` inside the compare's own carry
    chain in stage B, ``threshold_compare``), and a flip that costs no energy is always
    accepted.
    Stage B: ``flip_bits`` (accepted flips of valid steps), ``new`` (UPDATE: old spin xor flip;
    HOT: the number's top bit), ``par``, ``base`` (the centre word), ``b_g``, ``b_s`` and
    ``store`` (the group's last step of a pass that writes). ``new`` and ``flip_bits`` are a
    LUT of stage B's registers (the compare's result and the two outcomes), not registers.
    """

    def __init__(self, params: IsingParams, threshold_table: str = "auto",
                 hand_placed_compare: bool = False):
        self.params = params
        self.threshold_table = threshold_table
        self.hand_placed_compare = hand_placed_compare
        p = params
        P, W, k = p.lanes, p.word_bits, p.k
        g_shape, s_shape = range(max(2, p.groups)), range(max(2, p.steps_per_group))
        super().__init__({
            "prev": In(p.memory_word_bits), "cur": In(p.memory_word_bits),
            "nxt": In(p.memory_word_bits),
            "g": In(g_shape), "s": In(s_shape), "colour": In(1), "mode": In(2),
            "measure": In(1), "stepping": In(1),
            "rand": In(data.ArrayLayout(k, P)),
            "thresholds": In(data.ArrayLayout(unsigned(k + 1), TABLE_SIZE)),
            "table_we": In(1),
            "table_step": In(range(table_load_cycles(P))),
            "a_valid": Out(1), "t_valid": Out(1), "measuring": Out(1),
            "ups_bits": Out(2 * P), "agree_bits": Out(4 * P),
            "store": Out(1), "b_g": Out(g_shape), "b_s": Out(s_shape), "base": Out(W),
            "new": Out(P), "par": Out(P), "flip_bits": Out(P),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        P, k = p.lanes, p.k
        R, S, W = p.rows_per_group, p.steps_per_group, p.word_bits
        chunk_rows = R if S == 1 else 1
        copies = group_count(P, LANES_PER_COPY)
        prev, cur, nxt, s, g = self.prev, self.cur, self.nxt, self.s, self.g

        # --- stage A: window -> per-lane index -------------------------------------------
        ext, above, below, chunk_width = neighbourhoods(p, prev, cur, nxt, s)
        if p.couplings:
            # The same windows over the sign words: the right-bond signs of the centre row
            # (extended by one site each side, as ``ext``), and the down-bond signs of the
            # centre row and of the row above (the centre sites' up bonds).
            right_signs = neighbourhoods(p, prev[W:2 * W], cur[W:2 * W], nxt[W:2 * W], s)[0]
            down_signs, up_signs = neighbourhoods(p, prev[2 * W:], cur[2 * W:], nxt[2 * W:],
                                                  s)[:2]
        a_last, a_s, a_g = Signal(), Signal.like(s), Signal.like(g)
        a_base = data_reg(W)
        a_mode = Signal(2)
        a_idx = [data_reg(4, name=f"a_idx{i}") for i in range(P)]      # (lane_rule "table")
        a_old, a_par = data_reg(P), data_reg(P)
        # Copies of the colour two clocks late, through hubs: it changes only at a pass's start,
        # and priming takes at least three clocks before the first step. One register per
        # copy, straight from the FSM's, pulled the FSM's colour across the chip with the
        # FSM's logic behind it (run 24, seed 2: 9.4 ns of routing in the FSM).
        colour_copies = registered_tree(m, self.colour, copies, "colour", reset_less=True)
        h0 = p.lane_rule == "metropolis-h0"
        if h0:
            # The two thresholds and J's sign (``params.h0_thresholds``), registered from the
            # table (latched at a RUN's start, long before its first step), then copied beside
            # the lanes.
            thresholds = self.thresholds
            h0_ferro = Signal(reset_less=True)
            h0_pair = Signal(2 * (k + 1), reset_less=True)
            ferro_now = thresholds[9] <= thresholds[5]
            m.d.sync += [h0_ferro.eq(ferro_now),
                         h0_pair.eq(Mux(ferro_now, Cat(thresholds[9], thresholds[8]),
                                        Cat(thresholds[5], thresholds[6])))]
            # Through hubs: one register's net to all the copies of the pair was 9.8 ns of
            # routing (run 29, seed 1). The table's clocks (TABLE state) cover the latency.
            ferro_copies = registered_tree(m, h0_ferro, copies, "h0_ferro", reset_less=True)
            pair_copies = registered_tree(m, h0_pair, group_count(P, TABLE_GROUP), "h0_pair",
                                          reset_less=True)
            a_costly, a_far = data_reg(P), data_reg(P)
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
            m.d.sync += [a_old[i].eq(centre), a_par[i].eq(par)]
            if h0:
                # The flip costs energy when J·(a − 2) > 0, a = the neighbours that agree with
                # the spin, and twice the least cost when |a − 2| = 2. As logic of the four
                # disagreements (no adder: small sums became carry chains).
                d = [n ^ centre for n in (left, right, up, down)]
                pairs = [d[x] & d[y] for x in range(4) for y in range(x + 1, 4)]
                triples = [d[x] & d[y] & d[z] for x, y, z in
                           ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3))]
                at_most_one = ~Cat(*pairs).any()          # a ≥ 3
                at_least_three = Cat(*triples).any()      # a ≤ 1
                ferro = ferro_copies[i // LANES_PER_COPY]
                m.d.sync += [a_costly[i].eq(Mux(ferro, at_most_one, at_least_three)),
                             a_far[i].eq(Mux(ferro, ~Cat(*d).any(), Cat(*d).all()))]
            else:
                ups = left + right + up + down
                m.d.sync += a_idx[i].eq(Mux(centre, 5, 0) + ups)

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
        a_ups_bits, a_agree_bits = data_reg(2 * P), data_reg(4 * P)
        m.d.sync += [
            self.a_valid.eq(self.stepping), a_last.eq(self.stepping & (s == S - 1)),
            a_s.eq(s), a_g.eq(g), a_base.eq(cur[:W]), a_mode.eq(self.mode),
            self.measuring.eq(self.stepping & self.measure),
            a_ups_bits.eq(Cat(*ups_bits)), a_agree_bits.eq(Cat(*agree_bits)),
        ]
        m.d.comb += [self.ups_bits.eq(a_ups_bits), self.agree_bits.eq(a_agree_bits)]

        # --- stage T: threshold lookup, the random number ---------------------------------
        # A separate stage because the 10:1 threshold mux followed by the compare was the
        # critical path.
        table = Array(self.thresholds[e] for e in range(TABLE_SIZE))
        lutram = not h0 and uses_lutram(self.threshold_table, platform)
        lane_tables = (lutram_lane_tables(m, P, k, table, self.table_step[:4], self.table_we,
                                          self.table_step, a_idx) if lutram else [])
        t_always, t_far = data_reg(P), data_reg(P)     # metropolis-h0: no cost; the far class
        t_last, t_s, t_g = Signal(), Signal.like(s), Signal.like(g)
        t_base = data_reg(W)
        t_mode = Signal(2)
        # Stage B's compare reads a register: with the selection in front of it instead (run
        # 23), a lane's flip-flop → multiplexer → chain was the critical path (85.7 MHz).
        # The register costs flip-flops only, packed beside the multiplexer's LUTs.
        in_chain = h0 and self.hand_placed_compare
        t_threshold = [] if in_chain else [data_reg(k + 1, name=f"t_threshold{i}")
                                           for i in range(P)]
        t_old, t_par = data_reg(P), data_reg(P)
        t_rand = [data_reg(k, name=f"t_rand{i}") for i in range(P)]
        for i in range(P):
            if h0:
                m.d.sync += t_always[i].eq(~a_costly[i])
                if in_chain:
                    m.d.sync += t_far[i].eq(a_far[i])
                else:
                    pair = pair_copies[i // TABLE_GROUP]
                    m.d.sync += t_threshold[i].eq(Mux(a_far[i], pair[:k + 1], pair[k + 1:]))
            else:
                looked_up = lane_tables[i] if lutram else table[a_idx[i]]
                m.d.sync += t_threshold[i].eq(looked_up)
            m.d.sync += t_rand[i].eq(self.rand[i])
        m.d.sync += [
            self.t_valid.eq(self.a_valid), t_last.eq(a_last), t_s.eq(a_s), t_g.eq(a_g),
            t_base.eq(a_base), t_mode.eq(a_mode), t_old.eq(a_old), t_par.eq(a_par),
        ]

        # --- stage B: the compare's result registered beside its chain ------------------
        # With the two spins and flip bits it chooses between; ``new`` and ``flip_bits`` are
        # that choice, one LUT in front of their consumers' registers (the write buffer's
        # merge, the counts' arrival). Registering ``new`` itself put the chain's 3-4 ns route
        # to that register on the critical path (run 27, both seeds).
        b_par, b_base, b_accept = data_reg(P), data_reg(W), data_reg(P)
        b_if_accept, b_if_reject = data_reg(P), data_reg(P)        # the new spin
        b_flip_if_accept, b_flip_if_reject = data_reg(P), data_reg(P)
        # Stage T's mode and valid bits, once per LANES_PER_COPY lanes (same timing as t_mode),
        # through hubs from stage A's inputs: no net reaches every copy across the lanes.
        t_update = registered_tree(m, self.mode == PassMode.UPDATE, copies, "t_update",
                                   reset_less=True)
        t_hot = registered_tree(m, self.mode == PassMode.HOT, copies, "t_hot", reset_less=True)
        t_valid_copies = registered_tree(m, self.stepping, copies, "t_valid", reset_less=True)
        for i in range(P):
            copy = i // LANES_PER_COPY
            if in_chain:
                # The class picks its threshold inside the chain (``threshold_compare``).
                m.submodules[f"compare{i}"] = compare = ThresholdCompare(k, hand_placed=True)
                pair = pair_copies[i // TABLE_GROUP]
                m.d.comb += [compare.rand.eq(t_rand[i]), compare.far.eq(t_far[i]),
                             compare.t_far.eq(pair[:k + 1]), compare.t_near.eq(pair[k + 1:])]
                accept = compare.accept
            else:
                accept = t_rand[i] < t_threshold[i]
            # HOT: the number's top bit; UPDATE: the old spin, flipped if accepted (always, at
            # no cost, for metropolis-h0); MEASURE: the old spin.
            update, hot = t_update[copy], t_hot[copy]
            free_flip = update & t_always[i] if h0 else 0
            m.d.sync += [
                b_accept[i].eq(accept),
                b_if_accept[i].eq(Mux(hot, t_rand[i][k - 1], t_old[i] ^ update)),
                b_if_reject[i].eq(Mux(hot, t_rand[i][k - 1], t_old[i] ^ free_flip)),
                b_flip_if_accept[i].eq(update & t_valid_copies[copy]),
                b_flip_if_reject[i].eq(free_flip & t_valid_copies[copy]),
            ]
        m.d.sync += [
            b_par.eq(t_par), b_base.eq(t_base), self.b_s.eq(t_s), self.b_g.eq(t_g),
            self.store.eq(self.t_valid & t_last & (t_mode != PassMode.MEASURE)),
        ]
        m.d.comb += [self.new.eq((b_accept & b_if_accept) | (~b_accept & b_if_reject)),
                     self.flip_bits.eq(b_flip_if_reject | (b_accept & b_flip_if_accept)),
                     self.par.eq(b_par), self.base.eq(b_base)]
        return m
