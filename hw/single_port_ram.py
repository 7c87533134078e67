"""A single-port RAM that becomes iCE40 UltraPlus SPRAM on that device and a plain memory elsewhere."""

from __future__ import annotations

from amaranth import Cat, ClockSignal, Instance, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["SinglePortRAM", "SPRAM_WIDTH", "SPRAM_DEPTH", "is_ice40_up"]

SPRAM_WIDTH = 16       # SB_SPRAM256KA: 16 K words of 16 bits
SPRAM_DEPTH = 16384


def is_ice40_up(platform) -> bool:
    """Whether ``platform`` is an iCE40 UltraPlus, where :class:`SinglePortRAM` is SPRAM."""
    device = getattr(platform, "device", "") or ""
    return device.startswith("iCE40UP")


class SinglePortRAM(wiring.Component):
    """``depth`` words of ``width`` bits, one port: a write, or a read whose data arrives next clock.

    On an iCE40 UltraPlus device it is tiled from SB_SPRAM256KA blocks (ceil(width / 16) wide,
    ceil(depth / 16384) deep), which Yosys would not infer from a memory with initial contents:
    SPRAM cannot be initialised by the bitstream, so its contents must be written after
    configuration. Elsewhere (ECP5 block RAM, simulation) it is a memory with ``init``.
    ``read_data`` holds its value while ``write_enable`` is high (SPRAM's no-change behaviour).
    """

    def __init__(self, width: int, depth: int, init=()):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, not {width!r}")
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth must be a positive integer, not {depth!r}")
        self.width, self.depth, self.init = width, depth, list(init)
        super().__init__({
            "addr": In(range(max(2, depth))), "write_data": In(width), "write_enable": In(1),
            "read_data": Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        if is_ice40_up(platform):
            self._spram(m)
            return m
        m.submodules.memory = memory = Memory(shape=unsigned(self.width), depth=self.depth,
                                              init=self.init)
        read = memory.read_port(transparent_for=())
        write = memory.write_port()
        m.d.comb += [read.addr.eq(self.addr), read.en.eq(~self.write_enable),
                     write.addr.eq(self.addr), write.data.eq(self.write_data),
                     write.en.eq(self.write_enable), self.read_data.eq(read.data)]
        return m

    def _spram(self, m):
        columns = -(-self.width // SPRAM_WIDTH)
        rows = -(-self.depth // SPRAM_DEPTH)
        row = Signal(range(max(2, rows)))
        row_q = Signal.like(row)
        low = Signal(14)
        m.d.comb += [row.eq(self.addr >> 14), low.eq(self.addr)]
        m.d.sync += row_q.eq(Mux(self.write_enable, row_q, row))
        data = Signal(columns * SPRAM_WIDTH)
        m.d.comb += data.eq(self.write_data)
        outputs = []
        for r in range(rows):
            words = []
            for col in range(columns):
                out = Signal(SPRAM_WIDTH, name=f"spram_{r}_{col}_out")
                m.submodules[f"spram_{r}_{col}"] = Instance(
                    "SB_SPRAM256KA",
                    i_ADDRESS=low, i_DATAIN=data[col * 16:(col + 1) * 16],
                    i_MASKWREN=0b1111, i_WREN=self.write_enable & (row == r),
                    i_CHIPSELECT=1, i_CLOCK=ClockSignal("sync"),
                    i_STANDBY=0, i_SLEEP=0, i_POWEROFF=1, o_DATAOUT=out)
                words.append(out)
            outputs.append(Cat(*words))
        m.d.comb += self.read_data.eq(outputs[0] if rows == 1 else
                                      Cat(*outputs).word_select(row_q, columns * SPRAM_WIDTH))
