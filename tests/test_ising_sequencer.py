"""PassSequencer (hw/ising/sequencer.py) under Amaranth's simulator, without a datapath: the
steps of a RUN pass by pass, its cycle counters against the documented schedule, the stalls a
slow consumer of (M, B) causes, and the SEED and INIT_COLD operations."""

import pytest

from bitspin.hw.ising.params import IsingOp, IsingParams
from bitspin.hw.ising.sequencer import PassMode, PassSequencer
from bitspin.hw.ising.threshold_tables import table_load_cycles
from tests.pysim import run_pysim

IN_FLIGHT = 6


def sequencer(p: IsingParams) -> PassSequencer:
    return PassSequencer(p, table_load_cycles(p.lanes), 2 + IN_FLIGHT)


async def start_op(ctx, dut, op, sweeps=0):
    """Pulse ``start`` with ``op`` (and ``sweeps``) for one clock."""
    ctx.set(dut.op, op)
    ctx.set(dut.sweeps, sweeps)
    ctx.set(dut.start, 1)
    await ctx.tick()
    ctx.set(dut.start, 0)


@pytest.mark.parametrize("size,lanes,ready", [(8, 2, 1.0), (8, 4, 0.3), (16, 16, 1.0),
                                              (16, 8, 0.5), (4, 8, 1.0)])
def test_a_run_steps_every_site_pass_by_pass_on_schedule(size, lanes, ready, rng):
    p = IsingParams(size, lanes)
    G, S = p.groups, p.steps_per_group
    sweeps = int(rng.integers(1, 5))
    dut = sequencer(p)
    passes, emitted, wrong_shifts = [], [], []
    all_slices = (1 << dut.word_slices) - 1

    async def bench(ctx):
        await start_op(ctx, dut, IsingOp.RUN, sweeps)
        was_stepping = False
        for _ in range(20 * sweeps * p.cycles_per_sweep + 200):
            # The consumer takes a pending (M, B) when it is ready.
            take = ctx.get(dut.pending_emit) and rng.random() < ready
            ctx.set(dut.emitted, int(take))
            if take:
                emitted.append(True)
            stepping = bool(ctx.get(dut.stepping))
            if stepping and not was_stepping:          # a pass's first step
                passes.append(((ctx.get(dut.colour), ctx.get(dut.mode)), []))
            if stepping:
                passes[-1][1].append((ctx.get(dut.g), ctx.get(dut.s)))
            # Every slice's shift: exactly the clocks of a group's last step.
            shifts = stepping and ctx.get(dut.s) == S - 1
            if ctx.get(dut.shift_copies) != (all_slices if shifts else 0):
                wrong_shifts.append((len(passes), ctx.get(dut.g), ctx.get(dut.s)))
            was_stepping = stepping
            await ctx.tick()
            if ctx.get(dut.idle):
                break
        assert ctx.get(dut.idle), "the RUN never finished"
        counters.update({name: ctx.get(getattr(dut, name))
                         for name in ("update_cycles", "run_cycles", "stall_cycles")})

    counters = {}
    run_pysim(dut, bench)
    every_step = [(g, s) for g in range(G) for s in range(S)]
    expected = [((colour, PassMode.UPDATE), every_step)
                for _ in range(sweeps) for colour in (0, 1)]
    expected.append(((0, PassMode.MEASURE), every_step))
    assert passes == expected
    assert not wrong_shifts, wrong_shifts[:3]
    assert len(emitted) == sweeps
    assert counters["update_cycles"] == sweeps * 2 * p.steps_per_half
    assert counters["run_cycles"] == sweeps * p.cycles_per_sweep + p.measure_pass_cycles
    if ready == 1.0:
        assert counters["stall_cycles"] == 0


def test_seed_pulses_both_starts_and_waits_for_the_seeding():
    p = IsingParams(8, 2)
    dut = sequencer(p)
    seen = []

    async def bench(ctx):
        await start_op(ctx, dut, IsingOp.SEED)
        for clock in range(40):
            # The seeder is busy from its start's arrival for 10 clocks.
            ctx.set(dut.seeder_busy, int(any(n <= clock < n + 10 for n, _, _ in seen[:1])))
            if ctx.get(dut.seeder_start) or ctx.get(dut.wheel_start):
                seen.append((clock, ctx.get(dut.seeder_start), ctx.get(dut.wheel_start)))
            idle.append(ctx.get(dut.idle))
            await ctx.tick()

    idle = []
    run_pysim(dut, bench)
    assert [(s, w) for _, s, w in seen] == [(1, 1)]      # one pulse, both at once
    pulse_at = seen[0][0]
    assert not any(idle[:pulse_at + 10]) and idle[-1]


def test_a_cold_start_writes_every_group_once():
    p = IsingParams(16, 4)
    dut = sequencer(p)
    addresses = []

    async def bench(ctx):
        await start_op(ctx, dut, IsingOp.INIT_COLD)
        for _ in range(p.groups + 5):
            if ctx.get(dut.cold_write):
                addresses.append(ctx.get(dut.cold_addr))
            await ctx.tick()
        assert ctx.get(dut.idle)

    run_pysim(dut, bench)
    assert addresses == list(range(p.groups))
