"""cocotb bench for hw.ising.tiles: one scripted session on R tiles, reported per tile.

args: ``ops`` ([name, value] with name in seed/cold/hot/run, or ["load", [tile, words]]),
``thresholds`` (one 10-entry table per tile), ``threshold_bits``, ``groups``, ``replicas``,
``ready_probability`` and ``bench_seed`` (back-pressure on the merged stream), ``every``.
Reports: ``observables`` (the merged stream, [[M, B], ...]), ``lattices`` (hex words per
tile), ``sums`` (per tile, with on-chip sums) and the counters.
"""

import random

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from bitspin.hw.ising.params import READ_LATENCY, IsingOp
from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, SUM_BITS
from bitspin.sim.benches.ising_core import _OPS, _collect, _start
from bitspin.sim.testbench import args, report, start_clock_and_reset


def _signed(word: int, bits: int) -> int:
    return word - (1 << bits) if word >> (bits - 1) else word


@cocotb.test()
async def session(dut):
    a = args()
    rng = random.Random(a.get("bench_seed", 0))
    dut.start.value = 0
    dut.lattice_we.value = 0
    dut.lattice_addr.value = 0
    dut.tile.value = 0
    dut.observables__ready.value = 0
    if hasattr(dut, "every"):
        dut.every.value = a.get("every", 1)
    await start_clock_and_reset(dut)
    packed, bits = 0, a["threshold_bits"]
    for j, table in enumerate(a["thresholds"]):
        for i, value in enumerate(table):
            packed |= value << ((j * len(table) + i) * bits)
    dut.thresholds.value = packed

    observables = []
    cocotb.start_soon(_collect(dut, observables, a.get("ready_probability", 1.0), rng))
    for name, value in a["ops"]:
        if name == "seed":
            await _start(dut, IsingOp.SEED, seed=value)
        elif name == "run":
            await _start(dut, IsingOp.RUN, sweeps=value)
        elif name == "load":
            tile, words = value
            dut.tile.value = tile
            for g, word in enumerate(words):
                dut.lattice_addr.value = g
                dut.lattice_wdata.value = int(word, 16)
                dut.lattice_we.value = 1
                await RisingEdge(dut.clk)
            dut.lattice_we.value = 0
        else:
            await _start(dut, _OPS[name])
    await ClockCycles(dut.clk, 4)

    lattices, sums = [], []
    for tile in range(a["replicas"]):
        dut.tile.value = tile
        words = []
        for g in range(a["groups"]):
            dut.lattice_addr.value = g
            for _ in range(READ_LATENCY):
                await RisingEdge(dut.clk)
            await ReadOnly()
            words.append(f"{int(dut.lattice_rdata.value):x}")
            if hasattr(dut, "sums") and g == 0:
                packed_sums = int(dut.sums.value)
                sums.append([_signed((packed_sums >> (i * SUM_BITS)) & ((1 << SUM_BITS) - 1),
                                     SUM_BITS) for i in range(len(OBSERVABLE_SUMS))])
            await RisingEdge(dut.clk)
        lattices.append(words)
    report(observables=observables, lattices=lattices, sums=sums or None,
           update_cycles=int(dut.update_cycles.value), run_cycles=int(dut.run_cycles.value),
           flips=int(dut.flips.value))
