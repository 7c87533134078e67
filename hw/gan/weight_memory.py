"""The GAN engine's read-mostly memories: the binary weights in slices, and the plain tables."""

from __future__ import annotations

from amaranth import Cat, Mux, Signal, unsigned
from amaranth.lib.memory import Memory

from bitspin.hw.replica import registered_copies
from bitspin.hw.single_port_ram import SinglePortRAM

__all__ = ["WEIGHT_SLICES", "weight_slices", "binary_weights", "read_only_memory"]

#: Slices of the binary weight word, each a memory with its own address register.
WEIGHT_SLICES = 8


def weight_slices(width: int) -> list[tuple[int, int]]:
    """[low, high) bit ranges of about WEIGHT_SLICES slices, each a multiple of 18 bits wide (an
    ECP5 block RAM's width at 1 K words) but the last, so the slices take no more block RAMs
    than the whole word would."""
    piece = 18 * -(-width // (18 * WEIGHT_SLICES))
    return [(low, min(low + piece, width)) for low in range(0, width, piece)]


def read_only_memory(m, name: str, width: int, init, addr, load=None, enable=None):
    """A memory initialised with ``init``, read at ``addr``; its read data (next clock, or the
    clock after ``enable`` was last high).

    ``load``: a (write enable, address, data) triple adds a write port (a reloadable memory).
    """
    memory = Memory(shape=unsigned(width), depth=max(1, len(init)), init=list(init) or [0])
    m.submodules[name] = memory
    read = memory.read_port(transparent_for=())
    m.d.comb += read.addr.eq(addr)
    if enable is not None:
        m.d.comb += read.en.eq(enable)
    if load is not None:
        write = memory.write_port()
        enable, address, data = load
        m.d.comb += [write.en.eq(enable), write.addr.eq(address), write.data.eq(data)]
    return read.data


def binary_weights(m, image, addrs, addr_width: int, width: int, load=None):
    """The binary weights of ``image``: one memory per slice of the ``width``-bit word, each read
    at its own copy of the address (``addrs``: one ``addr_width``-bit copy per slice; one
    address net to every block RAM of the word was 15 ns of routing). Returns the word.

    ``load`` (write enable, address, data): the slices become single-port RAMs (SPRAM on an
    iCE40 UltraPlus) that the load port writes, through registers of each slice's own, so a
    write lands a clock late.
    """
    slices = weight_slices(width)
    depth = len(image.weights)
    if load is not None:
        enable, address, data = load
        load_addr, load_data = Signal.like(address), Signal.like(data)
        m.d.sync += [load_addr.eq(address), load_data.eq(data)]
        writes = registered_copies(m, enable, len(slices), "weight_write")
    words = []
    for k, (low, high) in enumerate(slices):
        init = [word >> low & ((1 << (high - low)) - 1) for word in image.weights]
        addr = addrs.word_select(k, addr_width)
        if load is None:
            words.append(read_only_memory(m, f"weights{k}", high - low, init, addr))
            continue
        m.submodules[f"weights{k}"] = ram = SinglePortRAM(high - low, depth, init=init)
        m.d.comb += [ram.write_enable.eq(writes[k]), ram.write_data.eq(load_data[low:high]),
                     ram.addr.eq(Mux(writes[k], load_addr, addr))]
        words.append(ram.read_data)
    return Cat(*words)
