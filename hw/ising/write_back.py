"""The Ising core's write-back: stage C merges the lanes' new spins into a group's word, stage D
writes it (or the host's word, or the cold start's all-up word) through the memory's write port."""

from amaranth import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_copies
from .params import IsingParams
from .timing import LANES_PER_COPY, WORD_SLICE, data_reg

__all__ = ["WriteBack"]


class WriteBack(wiring.Component):
    """From stage B's outputs to the lattice memory's write port.

    Stage C: while stage B holds a step (``t_valid`` a clock earlier), the lanes' ``new`` spins
    replace the sites they updated (lane i's site in word bit ``column`` of its row, by ``par``) in the write
    buffer, which starts each group from ``base`` (``s`` = 0) or keeps its earlier steps. Stage
    D: the port writes the buffer to group ``g`` a clock after ``store``; otherwise, a clock
    after they are asked for, the cold start's all-up word (``cold_write``, to ``cold_addr``) or,
    while ``idle``, the host's ``lattice_wdata`` (``lattice_we``, to ``lattice_addr``). With
    couplings the host's word includes the bond signs, which only the host writes: they have
    their own enable (``wr_en`` is one bit per W-bit part of the memory word then).
    """

    def __init__(self, params: IsingParams):
        self.params = params
        p = params
        P, W, MW = p.lanes, p.word_bits, p.memory_word_bits
        g_shape, s_shape = range(max(2, p.groups)), range(max(2, p.steps_per_group))
        super().__init__({
            "t_valid": In(1), "store": In(1), "g": In(g_shape), "s": In(s_shape),
            "base": In(W), "new": In(P), "par": In(P),
            "cold_write": In(1), "cold_addr": In(g_shape), "idle": In(1),
            "lattice_we": In(1), "lattice_addr": In(p.lattice_address_bits),
            "lattice_wdata": In(MW),
            "write_en": Out(1),
            "wr_en": Out(3 if p.couplings else 1), "wr_addr": Out(g_shape),
            "wr_data": Out(MW),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        L, P, W = p.size, p.lanes, p.word_bits
        S = p.steps_per_group
        chunk_width = 2 * P // (p.rows_per_group if S == 1 else 1)
        copies = group_count(P, LANES_PER_COPY)

        # --- stage C: merge into the write buffer ----------------------------------------
        wbuf = data_reg(W)
        # The pipeline's write strobe for stage D, one copy per WORD_SLICE bits of the word to
        # select the write data (see ``write_data`` below).
        spin_slices = group_count(W, WORD_SLICE)      # the spins' part of the window
        c_write_copies = registered_copies(m, self.store, spin_slices, "c_write",
                                           reset_less=True)
        b_valid_copies = registered_copies(m, self.t_valid, copies, "b_valid", reset_less=True)
        base = Mux(self.s == 0, self.base, wbuf) if S > 1 else self.base
        for bit in range(W):
            if S == 1:
                r, column = divmod(bit, L)
                lane = r * (L // 2) + column // 2
                take = self.par[lane] == (column & 1)
            else:
                chunk, offset = divmod(bit, chunk_width)
                lane = offset // 2
                take = (self.s == chunk) & (self.par[lane] == (offset & 1))
            with m.If(b_valid_copies[lane // LANES_PER_COPY]):
                m.d.sync += wbuf[bit].eq(Mux(take, self.new[lane], base[bit]))

        # --- stage D: the write port -----------------------------------------------------
        # The write port's enable, address and data come from registers, each written a clock
        # ahead (``store``/``g`` for the pipeline; the host's and the cold start's writes land a
        # clock after they are asked for): a multiplexer between a register and the 15 block
        # RAMs' inputs was the critical path at L=256, P=256. The data is selected per
        # WORD_SLICE bits by copies of the select registers (one net to the W multiplexers took
        # 14.8 ns of routing).
        store, cold_write, idle, we = self.store, self.cold_write, self.idle, self.lattice_we
        sign_write_en = Signal()      # the host's write of a word's coupling signs
        write_addr = Signal.like(self.g, reset_less=True)
        host_wdata = data_reg(p.memory_word_bits)
        m.d.sync += [
            self.write_en.eq(store | cold_write | (idle & we)),
            sign_write_en.eq(~store & ~cold_write & idle & we),
            write_addr.eq(Mux(store, self.g, Mux(cold_write, self.cold_addr,
                                                 self.lattice_addr))),
            host_wdata.eq(self.lattice_wdata),
        ]
        cold_copies = registered_copies(m, cold_write, spin_slices, "cold_write",
                                        reset_less=True)
        write_data = []  # the multiplexers of each slice, W bits in all (checked below)
        for j in range(spin_slices):
            bits = slice(j * WORD_SLICE, min(W, (j + 1) * WORD_SLICE))
            width = bits.stop - bits.start
            # (a signed constant here once made a slice 65 bits)
            write_data.append(Mux(c_write_copies[j], wbuf[bits],
                                  Mux(cold_copies[j], Const(-1, unsigned(width)),
                                      host_wdata[bits])))
        assert sum(len(part) for part in write_data) == W
        m.d.comb += [
            self.wr_en.eq(Cat(self.write_en, sign_write_en, sign_write_en) if p.couplings
                          else self.write_en),
            self.wr_addr.eq(write_addr),
            self.wr_data.eq(Cat(*write_data, host_wdata[W:]) if p.couplings
                            else Cat(*write_data)),
        ]
        return m
