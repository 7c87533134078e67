"""The GAN engine's load port as its memories see it: a write (enable, address, data) per target."""

from __future__ import annotations

from amaranth import Mux, Signal

from bitspin.hw.gan.load_map import LoadTarget
from bitspin.hw.single_port_ram import SinglePortRAM

__all__ = ["LoadPort"]


class LoadPort:
    """The writes of the engine's load port, decoded per :class:`~hw.gan.load_map.LoadTarget`.

    ``loading`` is high in a clock whose ``target``/``address``/``data`` (the engine's ports)
    are to be written. With ``registered``, every write reaches its memory a clock
    later through registers: a write enable reaches all of a memory's cells, and the decode in
    front of it was 15 ns of an ECP5's 12.5 ns at 80 MHz. Without (an iCE40 UltraPlus at
    12 MHz, whose 5 280 cells cannot spare the ~90 registers) the writes are direct.
    """

    def __init__(self, m, loading, target, address, data, registered: bool):
        self._m, self._loading, self._target = m, loading, target
        self._port = (address, data)
        self.registered = bool(registered)
        self.address, self.data = address, data
        if self.registered:
            self.address = Signal.like(address, name="load_addr", reset_less=True)
            self.data = Signal.like(data, name="load_data", reset_less=True)
            m.d.sync += [self.address.eq(address), self.data.eq(data)]

    def write(self, target: LoadTarget):
        """(enable, address, data) of the writes to ``target``, each held for one clock."""
        enable = Signal(name=f"load_{target.name.lower()}")
        self._m.d["sync" if self.registered else "comb"] += enable.eq(
            self._loading & (self._target == target))
        return enable, self.address, self.data

    def single_port_ram(self, name: str, width: int, target: LoadTarget, init, depth: int,
                        addr):
        """A ``depth`` × ``width`` single-port RAM (SPRAM on an iCE40 UltraPlus) read at
        ``addr``, which the load port has (directly, never registered) while writing ``target``;
        its read data."""
        self._m.submodules[name] = ram = SinglePortRAM(width, depth, init=init)
        writing = self._loading & (self._target == target)
        address, data = self._port
        self._m.d.comb += [ram.write_enable.eq(writing), ram.write_data.eq(data),
                           ram.addr.eq(Mux(writing, address, addr))]
        return ram.read_data
