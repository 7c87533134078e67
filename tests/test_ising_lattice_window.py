"""LatticeWindow (hw/ising/lattice_window.py) under Amaranth's simulator: random reads, writes
(with the couplings' per-part enables), priming pulses and per-slice shifts, clock by clock
against a Python model of the memory, its registered read and the three window registers."""

import pytest

from bitspin.hw.ising.lattice_window import LatticeWindow, prime_loads
from bitspin.hw.ising.params import IsingParams
from bitspin.hw.ising.timing import WORD_SLICE
from tests.pysim import random_bits, run_pysim


class WindowModel:
    """The component's registers after each clock, from the inputs of that clock."""

    def __init__(self, p: IsingParams, slices: int):
        self.p, self.slices = p, slices
        self.memory = [0] * p.groups
        self.read_q = self.read_data = 0
        self.chain = [0] * (p.prime_cycles - 1)          # priming clocks 0 … prime − 2
        self.load_at = {index: 0 for index in prime_loads(p)}
        self.window = {"prev": 0, "cur": 0, "nxt": 0}

    def clock(self, read_addr, write_en, write_addr, write_data, priming_next, shift):
        p, MW = self.p, self.p.memory_word_bits
        # The write merged by parts (one part without couplings).
        parts = 3 if p.couplings else 1
        part = MW // parts
        written = self.memory[write_addr]
        for n in range(parts):
            if write_en >> n & 1:
                mask = ((1 << part) - 1) << (n * part)
                written = written & ~mask | write_data & mask
        any_write = write_en != 0
        # The read port is transparent to the write.
        new_read_q = written if any_write and write_addr == read_addr else \
            self.memory[read_addr]
        chain = [priming_next] + self.chain
        window = dict(self.window)
        for j in range(self.slices):
            mask = ((1 << WORD_SLICE) - 1) << (j * WORD_SLICE) & ((1 << MW) - 1)
            # Each register: its priming load, else the shift (the sequencer never raises
            # both; the bench does, to pin down what each register's enable does).
            shifted_from = {"prev": self.window["cur"], "cur": self.window["nxt"],
                            "nxt": self.read_data}
            for index, name in prime_loads(p).items():
                if self.load_at[index]:
                    window[name] = window[name] & ~mask | self.read_data & mask
                elif shift >> j & 1:
                    window[name] = window[name] & ~mask | shifted_from[name] & mask
        self.load_at = {index: chain[index] for index in self.load_at}
        self.chain = chain[:-1]
        self.read_data, self.read_q = self.read_q, new_read_q
        if any_write:
            self.memory[write_addr] = written
        self.window = window


@pytest.mark.parametrize("size,lanes,couplings", [(8, 2, False), (8, 4, True), (16, 16, False),
                                                  (64, 32, False), (4, 8, True)])
def test_reads_writes_priming_and_shifts_match_the_model(size, lanes, couplings, rng):
    p = IsingParams(size, lanes, couplings=couplings)
    dut = LatticeWindow(p)
    model = WindowModel(p, dut.word_slices)
    MW, G, slices = p.memory_word_bits, p.groups, dut.word_slices
    bits = lambda n: random_bits(rng, n)  # noqa: E731
    mismatches = []

    async def bench(ctx):
        for clock in range(300):
            inputs = {
                "read_addr": int(rng.integers(G)),
                "write_en": int(rng.integers(1 << (3 if couplings else 1)))
                if rng.random() < 0.5 else 0,
                "write_addr": int(rng.integers(G)), "write_data": bits(MW),
                "priming_next": int(rng.random() < 0.08),
                "shift": bits(slices) if rng.random() < 0.6 else 0,
            }
            for name, value in inputs.items():
                ctx.set(getattr(dut, name), value)
            await ctx.tick()
            model.clock(**inputs)
            got = {name: ctx.get(getattr(dut, name)) for name in ("prev", "cur", "nxt")}
            got["read_data"] = ctx.get(dut.read_data)
            want = dict(model.window, read_data=model.read_data)
            if got != want:
                mismatches.append((clock, got, want))

    run_pysim(dut, bench)
    assert not mismatches, mismatches[:2]
