"""The Ising core's lattice memory and the three-word window over it (previous, current, next group)."""

from amaranth import Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_copies
from .params import IsingParams
from .timing import WORD_SLICE, data_reg

__all__ = ["LatticeWindow", "prime_loads"]


def prime_loads(p: IsingParams) -> dict[int, str]:
    """Which window register (``"prev"``, ``"cur"``, ``"nxt"``) each priming clock of a pass
    loads: READ_LATENCY clocks after the prefetch's (or the priming's own) reads of groups G-1,
    0 and 1 (see ``PassSequencer``)."""
    if p.prime_cycles == 3:
        return {0: "cur", 1: "nxt", 2: "prev"}
    return {2: "prev", 3: "cur", 4: "nxt"}


class LatticeWindow(wiring.Component):
    """G words of ``memory_word_bits`` in block RAM, one read and one write port, and the window.

    Read: ``read_data`` is the word that ``read_addr`` named two clocks earlier (the block RAM's
    output is registered before any logic: its 5.6 ns clock-to-out on ECP5 was the critical
    path). The read port is transparent to the write port. Write: ``write_en`` (one bit, or one
    per W-bit part of the word with couplings: spins, right-bond and down-bond signs, so that
    only the host writes the signs), ``write_addr``, ``write_data``.

    Window: ``prev``, ``cur``, ``nxt`` load ``read_data`` per WORD_SLICE bits. Priming clock k
    of a pass (``priming_next`` high in the clock before clock 0) loads the register
    ``prime_loads`` names; ``shift``, one register per slice, shifts the window by a group. The
    two never coincide (the sequencer's ``shift_copies``); if they did, a register being
    loaded would load and the others would shift. So each register's clock enable is one LUT
    of two registers beside it. The registers are reset-less: they are loaded before they are
    read.
    """

    def __init__(self, params: IsingParams):
        self.params = p = params
        self.word_slices = group_count(p.memory_word_bits, WORD_SLICE)
        g_shape = range(max(2, p.groups))
        MW = p.memory_word_bits
        super().__init__({
            "read_addr": In(g_shape), "read_data": Out(MW),
            "write_en": In(3 if p.couplings else 1), "write_addr": In(g_shape),
            "write_data": In(MW),
            "priming_next": In(1), "shift": In(self.word_slices),
            "prev": Out(MW), "cur": Out(MW), "nxt": Out(MW),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        MW, W = p.memory_word_bits, p.word_bits

        m.submodules.memory = memory = Memory(shape=unsigned(MW), depth=p.groups, init=[])
        wr = memory.write_port(granularity=W) if p.couplings else memory.write_port()
        rd = memory.read_port(transparent_for=(wr,))
        read_data = data_reg(MW)
        m.d.sync += read_data.eq(rd.data)
        m.d.comb += [rd.addr.eq(self.read_addr), self.read_data.eq(read_data),
                     wr.en.eq(self.write_en), wr.addr.eq(self.write_addr),
                     wr.data.eq(self.write_data)]

        window = {name: data_reg(MW, name=name) for name in ("prev", "cur", "nxt")}
        prev, cur, nxt = window["prev"], window["cur"], window["nxt"]
        m.d.comb += [self.prev.eq(prev), self.cur.eq(cur), self.nxt.eq(nxt)]
        # Priming clock k's load enable is registered, copies per slice, from the chain
        # priming_next → priming clock 0 → 1 …, so no FSM decode drives the enables.
        loads = prime_loads(p)
        # Reset-less, as the copies: a reset leaves at most prime_cycles − 1 stale loads of an
        # idle window, long before any pass (the domain reset's net to the chain's first
        # register was run 34's critical path, 10.6 ns of routing).
        chain = [self.priming_next] + [Signal(name=f"priming_clock{i}", reset_less=True)
                                       for i in range(p.prime_cycles - 1)]
        m.d.sync += [later.eq(earlier) for earlier, later in zip(chain, chain[1:])]
        load_at = {index: registered_copies(m, chain[index], self.word_slices,
                                            f"prime_load{index}", reset_less=True)
                   for index in loads}
        shifted_from = {"prev": cur, "cur": nxt, "nxt": read_data}
        for j in range(self.word_slices):
            bits = slice(j * WORD_SLICE, min(MW, (j + 1) * WORD_SLICE))
            for index, name in loads.items():
                with m.If(load_at[index][j]):
                    m.d.sync += window[name][bits].eq(read_data[bits])
                with m.Elif(self.shift[j]):
                    m.d.sync += window[name][bits].eq(shifted_from[name][bits])
        return m
