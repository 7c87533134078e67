"""Replica-exchange decisions on the chip: the fixed-point rule of ``exchange_spec`` in gateware.

One unit serves one replica set: T tiles at T temperatures. It keeps the permutation (which
tile holds which temperature), decides a round's exchanges from the tiles' last-sweep (M, B),
and routes each temperature's threshold table to the tile that holds it, so an exchange swaps
tables, never lattices: the tiles load the routed tables at their next start.

This is the chip side of the host-or-chip question in docs/spin_glass.md; the device top does
not carry it yet. Its cost (``bitspin build --design exchange``) and its clocks per round
(:func:`round_cycles`) are measured against the host's link traffic there.
"""

from __future__ import annotations

from amaranth import Array, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .exchange_spec import (COEFF_BITS, COEFF_FRACTION_BITS, EXP2_TABLE, EXP2_TABLE_BITS,
                            UNIFORM_BITS, pair_starts)
from ..replica import group_count, registered_copies
from .lane_rng import LaneRng
from .params import TABLE_SIZE, IsingParams, observable_bits

__all__ = ["ExchangeUnit", "PAIR_CYCLES", "round_cycles"]

#: Clocks per proposed pair: select the tiles, fetch their (M, B), multiply, join the halves'
#: products, add, table read, table word, shift, compare, swap. Each is a stage of its own: the
#: ROM's output through the shift into the compare was the critical path of the first build
#: (49.3 MHz), the compare into the swap that of the second.
PAIR_CYCLES = 10
HALF = 16     # the constants' low half, multiplied as an unsigned 16-bit operand
ROUTE_SLICE = 32   # table bits per copy of a tile's temperature


def round_cycles(temperatures: int, round_: int) -> int:
    """Clocks from ``start`` until ``busy`` falls for round ``round_`` (its parity)."""
    pairs = len(pair_starts(temperatures, round_))
    return PAIR_CYCLES * pairs + 3 if pairs else 1


class ExchangeUnit(wiring.Component):
    """Decides one round of exchanges among ``temperatures`` tiles of ``params``.

    Ports:

    * ``load`` (while idle): restart the stream from ``rng_state`` (the spec's seeding) and
      reset the permutation to tile t at temperature t, and ``accepted`` to zero;
    * ``start`` with ``parity`` (the round's number mod 2), while idle: propose that round's
      pairs, one every ``PAIR_CYCLES`` clocks; ``busy`` is high until the last swap is done;
    * ``coeff_a``/``coeff_c``: the pairs' constants A_i and C_i (``exchange_coefficients``);
    * ``magnetization``/``bond_sum``: each tile's last-sweep (M, B), read during the round;
    * ``tables``: the threshold table of each temperature; ``tile_tables``: of each tile;
    * ``slot_at``: the tile at each temperature; ``accepted``: exchanges per pair so far.
    """

    def __init__(self, params: IsingParams, temperatures: int):
        if not isinstance(params, IsingParams):
            raise TypeError(f"params must be an IsingParams, not {params!r}")
        if not 2 <= temperatures <= 64:
            raise ValueError(f"an exchange unit serves 2 to 64 temperatures, not {temperatures}")
        self.params, self.temperatures = params, temperatures
        T = temperatures
        m_bits, b_bits = observable_bits(params)
        table = data.ArrayLayout(unsigned(params.k + 1), TABLE_SIZE)
        coeffs = data.ArrayLayout(signed(COEFF_BITS), T - 1)
        super().__init__({
            "load": In(1), "rng_state": In(64),
            "start": In(1), "parity": In(1), "busy": Out(1),
            "coeff_a": In(coeffs), "coeff_c": In(coeffs),
            "magnetization": In(data.ArrayLayout(signed(m_bits), T)),
            "bond_sum": In(data.ArrayLayout(signed(b_bits), T)),
            "tables": In(data.ArrayLayout(table, T)),
            "tile_tables": Out(data.ArrayLayout(table, T)),
            "slot_at": Out(data.ArrayLayout(unsigned(max(1, (T - 1).bit_length())), T)),
            "accepted": Out(data.ArrayLayout(unsigned(32), T - 1)),
        })

    def elaborate(self, platform):
        m = Module()
        T = self.temperatures
        m_bits, b_bits = observable_bits(self.params)
        index_bits = max(1, (T - 1).bit_length())

        m.submodules.rng = rng = LaneRng(UNIFORM_BITS)
        rom = Memory(shape=unsigned(UNIFORM_BITS), depth=1 << EXP2_TABLE_BITS, init=EXP2_TABLE)
        m.submodules.exp2 = rom
        rom_read = rom.read_port()

        # Signals made in tuples are named by hand: the tracer would name them all "$signal",
        # and Yosys's ABC9 pass fails on a module with such a wire.
        # The permutation both ways: temperature → tile for the decisions, tile → temperature
        # for the table routing (one mux per tile, no search).
        slot_at = Array(Signal(index_bits, name=f"slot_at{t}", init=t) for t in range(T))
        temp_of = Array(Signal(index_bits, name=f"temp_of{j}", init=j) for j in range(T))
        accepted = Array(Signal(32, name=f"accepted{i}") for i in range(T - 1))
        for t in range(T):
            m.d.comb += self.slot_at[t].eq(slot_at[t])
        for i in range(T - 1):
            m.d.comb += self.accepted[i].eq(accepted[i])
        # Registered, from registered copies of the tile's temperature, one per ROUTE_SLICE bits
        # of its table (one copy drove all 170 multiplexers: 9.7 ns of routing in the fourth
        # build). The tiles take their tables at their next start.
        table_bits = len(Value.cast(self.tables[0]))
        for j in range(T):
            copies = registered_copies(m, temp_of[j], group_count(table_bits, ROUTE_SLICE),
                                       f"tile{j}_temperature", reset_less=True)
            routed = Value.cast(self.tile_tables[j])
            for n, copy in enumerate(copies):
                bits = slice(n * ROUTE_SLICE, min(table_bits, (n + 1) * ROUTE_SLICE))
                choices = Array(Value.cast(self.tables[t])[bits] for t in range(T))
                m.d.sync += routed[bits].eq(choices[copy])

        mags = Array(self.magnetization[j] for j in range(T))
        bonds = Array(self.bond_sum[j] for j in range(T))
        coeff_a = Array(self.coeff_a[i] for i in range(T - 1))
        coeff_c = Array(self.coeff_c[i] for i in range(T - 1))

        pair = Signal(range(T + 1))
        low, high = Signal(index_bits, name="low"), Signal(index_bits, name="high")
        d_bond = Signal(signed(b_bits + 1), name="d_bond")
        d_mag = Signal(signed(m_bits + 1), name="d_mag")
        a, c = Signal(signed(COEFF_BITS), name="a"), Signal(signed(COEFF_BITS), name="c")
        u = Signal(UNIFORM_BITS)
        bond_hi = Signal(signed(COEFF_BITS - HALF + b_bits + 1), name="bond_hi")
        bond_lo = Signal(signed(HALF + b_bits + 2), name="bond_lo")
        mag_hi = Signal(signed(COEFF_BITS - HALF + m_bits + 1), name="mag_hi")
        mag_lo = Signal(signed(HALF + m_bits + 2), name="mag_lo")
        p_bond = Signal(signed(COEFF_BITS + b_bits + 1), name="p_bond")
        p_mag = Signal(signed(COEFF_BITS + m_bits + 1), name="p_mag")
        y = Signal(signed(COEFF_BITS + b_bits + 2))
        whole = Signal(len(y) - COEFF_FRACTION_BITS)
        word, threshold = Signal(UNIFORM_BITS), Signal(UNIFORM_BITS)
        positive, accept = Signal(), Signal()
        at_pair, at_next = Signal(T, name="at_pair"), Signal(T, name="at_next")
        tile_low, tile_high = Signal(T, name="tile_low"), Signal(T, name="tile_high")
        running = Signal()
        m.d.comb += self.busy.eq(running)
        z = -y
        m.d.comb += [rng.load_state.eq(self.rng_state), rng.load.eq(self.load & ~running),
                     rom_read.addr.eq(z[COEFF_FRACTION_BITS - EXP2_TABLE_BITS:
                                        COEFF_FRACTION_BITS])]

        # busy and the routed tables leave from registers (ABC9 also failed on this module
        # while busy was the FSM's decode).
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.load):
                    m.d.sync += [s.eq(t) for t, s in enumerate(slot_at)]
                    m.d.sync += [s.eq(j) for j, s in enumerate(temp_of)]
                    m.d.sync += [n.eq(0) for n in accepted]
                with m.Elif(self.start):
                    m.d.sync += pair.eq(self.parity)
                    with m.If(self.parity < T - 1):
                        m.d.sync += running.eq(1)
                        m.next = "SELECT"
            with m.State("SELECT"):
                m.d.sync += [low.eq(slot_at[pair]), high.eq(slot_at[pair + 1]),
                             a.eq(coeff_a[pair]), c.eq(coeff_c[pair]), u.eq(rng.value)]
                m.d.comb += rng.advance.eq(1)      # one uniform per proposal, needed or not
                m.next = "FETCH"
            with m.State("FETCH"):
                # A stage of its own: the pair's tiles, then their (M, B) and the differences
                # in one clock were the sixth build's critical path (97.9 MHz).
                m.d.sync += [d_bond.eq(bonds[low] - bonds[high]),
                             d_mag.eq(mags[low] - mags[high])]
                m.next = "MULTIPLY"
            with m.State("MULTIPLY"):
                # Each constant in halves, one DSP product each: a 32 × 16 product with its
                # carry chain in one stage was the third build's critical path (96.7 MHz).
                m.d.sync += [bond_hi.eq(a[HALF:].as_signed() * d_bond),
                             bond_lo.eq(a[:HALF] * d_bond),
                             mag_hi.eq(c[HALF:].as_signed() * d_mag),
                             mag_lo.eq(c[:HALF] * d_mag)]
                m.next = "JOIN"
            with m.State("JOIN"):
                m.d.sync += [p_bond.eq((bond_hi << HALF) + bond_lo),
                             p_mag.eq((mag_hi << HALF) + mag_lo)]
                m.next = "ADD"
            with m.State("ADD"):
                m.d.sync += y.eq(p_bond + p_mag)
                m.next = "TABLE"
            with m.State("TABLE"):
                # The ROM reads z's fraction bits now; its word is there in WORD.
                m.d.sync += [positive.eq(y >= 0), whole.eq(z[COEFF_FRACTION_BITS:])]
                m.next = "WORD"
            with m.State("WORD"):
                m.d.sync += word.eq(rom_read.data)
                m.next = "SHIFT"
            with m.State("SHIFT"):
                m.d.sync += threshold.eq(Mux(whole < UNIFORM_BITS, word >> whole[:5], 0))
                m.next = "COMPARE"
            with m.State("COMPARE"):
                # The swap's write enables are decoded here, one-hot, for SWAP: decoded there
                # from ``pair``, ``low`` and ``high`` they were the fifth build's critical path.
                m.d.sync += [accept.eq(positive | (u < threshold)),
                             at_pair.eq(1 << pair), at_next.eq(1 << (pair + 1)),
                             tile_low.eq(1 << low), tile_high.eq(1 << high)]
                m.next = "SWAP"
            with m.State("SWAP"):
                with m.If(accept):
                    for t in range(T):
                        with m.If(at_pair[t]):
                            m.d.sync += slot_at[t].eq(high)
                        with m.If(at_next[t]):
                            m.d.sync += slot_at[t].eq(low)
                        with m.If(tile_low[t]):
                            m.d.sync += temp_of[t].eq(pair + 1)
                        with m.If(tile_high[t]):
                            m.d.sync += temp_of[t].eq(pair)
                    # Each counter increments itself: a multiplexed read of accepted[pair] into
                    # a shared adder was the critical path of the second build (86.8 MHz).
                    for i in range(T - 1):
                        with m.If(at_pair[i]):
                            m.d.sync += accepted[i].eq(accepted[i] + 1)
                m.d.sync += pair.eq(pair + 2)
                with m.If(pair + 3 < T):
                    m.next = "SELECT"
                with m.Else():
                    m.next = "COPY"
            with m.State("COPY"):       # the temperatures' copies take the last swap
                m.next = "ROUTE"
            with m.State("ROUTE"):      # the routed tables' registers take it
                m.d.sync += running.eq(0)
                m.next = "IDLE"
        return m
