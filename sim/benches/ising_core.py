"""cocotb bench for hw.ising.core: runs one scripted session and reports everything it saw.

args: ``ops`` (a list of [name, value] with name in seed/cold/hot/load/run), ``thresholds``
(10 ints), ``ready_probability`` (back-pressure on the observables stream), ``groups``.
Reports: ``observables`` ([[M, B], ...]), ``lattice`` (hex word per group after the session),
and the core's counters. The pytest side compares all of it with the golden model.
"""

import random

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from bitspin.hw.ising.params import READ_LATENCY, IsingOp
from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, SUM_BITS
from bitspin.sim.testbench import args, report, start_clock_and_reset

_OPS = {"seed": IsingOp.SEED, "cold": IsingOp.INIT_COLD, "hot": IsingOp.INIT_HOT,
        "run": IsingOp.RUN}


async def _collect(dut, sink: list, ready_probability: float, rng: random.Random):
    # ready is set right after an edge; valid and ready are then sampled once settled, which is
    # exactly what the core sees at the next edge, where the transfer happens.
    while True:
        dut.observables__ready.value = int(rng.random() < ready_probability)
        await ReadOnly()
        if dut.observables__valid.value and dut.observables__ready.value:
            payload = int(dut.observables__payload.value)
            m, b = payload & 0xFFFFFFFF, payload >> 32
            sink.append([m - (1 << 32) if m >> 31 else m, b - (1 << 32) if b >> 31 else b])
        await RisingEdge(dut.clk)


async def _start(dut, op, sweeps=0, seed=0):
    dut.op.value = op.value
    dut.sweeps.value = sweeps
    dut.seed.value = seed
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0
    await RisingEdge(dut.clk)
    while int(dut.busy.value):
        await RisingEdge(dut.clk)


async def _run_ops(dut, ops, load):
    """Run the session's ``ops`` in order (``load(dut, value)`` for a "load"), then settle."""
    for name, value in ops:
        if name == "seed":
            await _start(dut, IsingOp.SEED, seed=value)
        elif name == "run":
            await _start(dut, IsingOp.RUN, sweeps=value)
        elif name == "load":
            await load(dut, value)
        else:
            await _start(dut, _OPS[name])
    await ClockCycles(dut.clk, 4)
    # The last record may still wait for a slow consumer after busy falls (busy does not wait
    # for the stream): let the collector take it before the session reports.
    for _ in range(10_000):
        if not int(dut.observables__valid.value):
            break
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, 1)


async def _load_words(dut, words):
    """Write the hex ``words`` through the lattice port, one per clock from address 0."""
    for g, word in enumerate(words):
        dut.lattice_addr.value = g
        dut.lattice_wdata.value = int(word, 16)
        dut.lattice_we.value = 1
        await RisingEdge(dut.clk)
    dut.lattice_we.value = 0


async def _read_words(dut, groups: int, latency: int = READ_LATENCY) -> list[str]:
    """The lattice memory's ``groups`` words, hex, through the port (``latency`` clocks each)."""
    words = []
    for g in range(groups):
        dut.lattice_addr.value = g
        for _ in range(latency):
            await RisingEdge(dut.clk)
        await ReadOnly()
        words.append(f"{int(dut.lattice_rdata.value):x}")
        await RisingEdge(dut.clk)
    return words


def _sums(dut) -> list[int]:
    """The ``sums`` port, one signed int per OBSERVABLE_SUMS entry."""
    packed, sums = int(dut.sums.value), []
    for i in range(len(OBSERVABLE_SUMS)):
        word = (packed >> (i * SUM_BITS)) & ((1 << SUM_BITS) - 1)
        sums.append(word - (1 << SUM_BITS) if word >> (SUM_BITS - 1) else word)
    return sums


async def _reset_with_thresholds(dut, a: dict, ready: int):
    dut.start.value = 0
    dut.lattice_we.value = 0
    dut.lattice_addr.value = 0
    dut.observables__ready.value = ready
    if hasattr(dut, "every"):               # a core with on-chip sums (IsingParams.sums)
        dut.every.value = a.get("every", 1)
    await start_clock_and_reset(dut)
    packed = 0
    for i, value in enumerate(a["thresholds"]):
        packed |= value << (i * a["threshold_bits"])
    dut.thresholds.value = packed


@cocotb.test()
async def session(dut):
    a = args()
    rng = random.Random(a.get("bench_seed", 0))
    await _reset_with_thresholds(dut, a, ready=0)

    observables = []
    cocotb.start_soon(_collect(dut, observables, a.get("ready_probability", 1.0), rng))
    await _run_ops(dut, a["ops"], _load_words)

    words = await _read_words(dut, a["groups"])
    sums = _sums(dut) if hasattr(dut, "sums") else None
    report(observables=observables, lattice=words, update_cycles=int(dut.update_cycles.value),
           run_cycles=int(dut.run_cycles.value), stall_cycles=int(dut.stall_cycles.value),
           flips=int(dut.flips.value), sums=sums)


@cocotb.test()
async def throughput(dut):
    """Seed, cold start, then one RUN with the stream always ready and no per-clock Python:
    the wall time of the RUN is Verilator's own speed on this design."""
    import time

    from cocotb.triggers import FallingEdge

    a = args()
    await _reset_with_thresholds(dut, a, ready=1)
    await _start(dut, IsingOp.SEED, seed=1)
    await _start(dut, IsingOp.INIT_COLD)
    dut.op.value = IsingOp.RUN.value
    dut.sweeps.value = a["sweeps"]
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0
    started = time.perf_counter()
    await FallingEdge(dut.busy)
    wall = time.perf_counter() - started
    report(wall_s=wall, run_cycles=int(dut.run_cycles.value),
           update_cycles=int(dut.update_cycles.value), flips=int(dut.flips.value))
