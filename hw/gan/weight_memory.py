"""The GAN engine's read-mostly memories: the binary weights in slices, and the plain tables."""

from __future__ import annotations

import functools
import operator

from amaranth import Cat, Mux, Signal, unsigned
from amaranth.lib.memory import Memory
from amaranth.utils import exact_log2

from bitspin.hw.ising.popcount import delayed
from bitspin.hw.replica import replica_signals
from bitspin.hw.single_port_ram import SinglePortRAM

__all__ = ["WEIGHT_SLICES", "WEIGHT_BANK_DEPTH", "weight_slices", "binary_weights", "read_only_memory"]

#: Slices of the binary weight word, each a memory with its own address register.
WEIGHT_SLICES = 8
#: Words per bank of a slice: an ECP5 block RAM's depth at 18 bits. Yosys cascades a deeper
#: memory behind a multiplexer with no register in front of it, so every block RAM of the
#: cascade, placed wherever there was room, had to reach that one multiplexer within the clock
#: less the block RAM's 5.6 ns clock-to-out (a route of 9.5 ns at 80 MHz); each bank's data is
#: registered beside it instead (0 when the bank is not read), and the word is their OR.
WEIGHT_BANK_DEPTH = 1024


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


def binary_weights(m, image, addr_next, width: int, load=None,
                   bank_depth: int | None = WEIGHT_BANK_DEPTH):
    """The binary weights of ``image``: one single-port memory per slice of the ``width``-bit
    word, and per bank of it. ``addr_next`` is the read address a clock early; every slice and
    bank registers its own copy (one address net to every block RAM of the word was 15 ns of
    routing). Returns the word two clocks after that copy: the read, then a register per bank
    beside its block RAMs (0 in the banks not read), then (without a register) their OR.

    ``bank_depth``: a slice deeper than this is split into banks of this many words, so that
    no multiplexer sits between a block RAM and its register (None: one bank, as for SPRAM on
    an iCE40 UltraPlus, which is 16 K words deep).
    ``load`` (write enable, address, data; registers): the load port writes a word through the
    same address registers, its address multiplexed in front of them, so a write lands a clock
    after it is presented. (A second port for the writes made Yosys add logic behind every
    block RAM's output to order a read and a write of the same word; a multiplexer in front of
    the address pins was 13 ns at 80 MHz.)
    """
    slices = weight_slices(width)
    depth = len(image.weights)
    addr_width = len(addr_next)
    if bank_depth is not None and (not isinstance(bank_depth, int) or bank_depth < 1
                                   or bank_depth & (bank_depth - 1)):
        raise ValueError(f"bank_depth must be a power of two, not {bank_depth!r}")
    banks = 1 if bank_depth is None else -(-depth // bank_depth)
    # A bank is the address's high bits, so a bank's depth is a power of two.
    low_bits = addr_width if banks == 1 else exact_log2(bank_depth)
    low_next, high_next = addr_next[:low_bits], addr_next[low_bits:]
    if load is not None:
        enable, address, data = load
        load_data = Signal.like(data, reset_less=True)
        m.d.sync += load_data.eq(data)
    # The bank of the word that will arrive, a clock after its address was registered.
    bank_early = delayed(m, high_next, 1, "weight_bank")[-1] if banks > 1 else None
    words = []
    for k, (low, high) in enumerate(slices):
        init = [word >> low & ((1 << (high - low)) - 1) for word in image.weights]
        addrs = replica_signals(low_next, banks, f"weight_addr{k}_")
        data = []
        for j in range(banks):
            bank_init = init[j * bank_depth:(j + 1) * bank_depth] if banks > 1 else init
            name = f"weights{k}" if banks == 1 else f"weights{k}_{j}"
            m.submodules[name] = ram = SinglePortRAM(high - low, len(bank_init), init=bank_init)
            m.d.comb += ram.addr.eq(addrs[j])
            if load is None:
                m.d.sync += addrs[j].eq(low_next)
            else:
                write = enable & (address[low_bits:] == j) if banks > 1 else enable
                writing = replica_signals(Signal(), 1, f"weight_write{k}_{j}_")[0]
                m.d.sync += [writing.eq(write),
                             addrs[j].eq(Mux(write, address[:low_bits], low_next))]
                m.d.comb += [ram.write_enable.eq(writing),
                             ram.write_data.eq(load_data[low:high])]
            data.append(Signal(high - low, name=f"near_{name}", reset_less=True))
            if banks == 1:
                m.d.sync += data[-1].eq(ram.read_data)
                continue
            # A bank not read registers 0, so the word is the OR of the banks' registers. Its
            # selection is a register of the bank's own, which clears that bank's registers
            # beside its block RAMs; a select net to the word's multiplexers, wherever they
            # were placed, was 18.6 ns of routing (runs 13 and 14).
            selected = replica_signals(Signal(), 1, f"weight_bank{k}_{j}_")[0]
            m.d.sync += [selected.eq(bank_early == j),
                         data[-1].eq(Mux(selected, ram.read_data, 0))]
        if banks == 1:
            words.append(data[0])
            continue
        word = Signal(high - low, name=f"weight_slice{k}")
        m.d.comb += word.eq(functools.reduce(operator.or_, data))
        words.append(word)
    return Cat(*words)
