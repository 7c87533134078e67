"""cocotb bench for hw.ising.tiles: one scripted session on R tiles, reported per tile.

args: ``ops`` ([name, value] with name in seed/cold/hot/run, or ["load", [tile, words]]),
``thresholds`` (one 10-entry table per tile), ``threshold_bits``, ``groups``, ``replicas``,
``ready_probability`` and ``bench_seed`` (back-pressure on the merged stream), ``every``,
``read_latency`` (of the lattice port).
Reports: ``observables`` (the merged stream, [[M, B], ...]), ``lattices`` (hex words per
tile), ``sums`` (per tile, with on-chip sums) and the counters.
"""

import random

import cocotb

from bitspin.sim.benches.ising_core import _collect, _load_words, _read_words, _run_ops, _sums
from bitspin.sim.testbench import args, report, start_clock_and_reset


async def _load_tile(dut, value):
    tile, words = value
    dut.tile.value = tile
    await _load_words(dut, words)


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
    await _run_ops(dut, a["ops"], _load_tile)

    lattices, sums = [], []
    for tile in range(a["replicas"]):
        dut.tile.value = tile
        lattices.append(await _read_words(dut, a["groups"], a["read_latency"]))
        if hasattr(dut, "sums"):
            sums.append(_sums(dut))
    report(observables=observables, lattices=lattices, sums=sums or None,
           update_cycles=int(dut.update_cycles.value), run_cycles=int(dut.run_cycles.value),
           flips=int(dut.flips.value))
