"""The GAN engine in Amaranth's simulator on random small models: bit-exact with the golden model.

Fast (no Verilator build), so it sweeps random architectures and engine parallelism; the
full-size configurations run under Verilator in ``test_gan_engine.py``.
"""

import dataclasses
import hashlib

import numpy as np
import pytest
from amaranth.sim import Simulator

from bitspin.hw.gan.engine import GanEngine
from bitspin.hw.gan.load_map import image_writes
from bitspin.hw.gan.plan import EngineParams, plan_engine
from bitspin.sw.gan.engine_image import build_engine_image, pack_latent
from bitspin.sw.gan.golden import GoldenGenerator
from tests.gan_engine_models import random_folded_model, random_inputs, \
    random_small_config


def run_engine(image, z, y, ready_probability=1.0, seed=0, load=None, register_loads=None):
    """Pixels [count, side, side] and the per-batch cycle counts of the engine in pysim.

    The requests go in batches of the engine's ``batch`` on consecutive clocks; the last batch
    may be partial (closed by ``end_batch``).

    ``load``: (target, address, word) writes through the load port first (the engine is then
    built loadable, with ``image`` as its initial contents, its writes registered or not as
    ``register_loads`` says).
    """
    dut = GanEngine(image, loadable=load is not None, register_loads=register_loads)
    plan = image.plan
    pixels, cycles = [], []
    rng = np.random.default_rng(seed)

    async def source(ctx):
        for target, address, word in load or ():
            ctx.set(dut.load_target, target)
            ctx.set(dut.load_addr, address)
            ctx.set(dut.load_data, word)
            ctx.set(dut.load_write, 1)
            await ctx.tick()
        if load:
            ctx.set(dut.load_write, 0)
        batch = plan.params.batch
        for first in range(0, len(y), batch):
            while not ctx.get(dut.ready):
                await ctx.tick()
            members = range(first, min(first + batch, len(y)))
            for k in members:
                assert ctx.get(dut.ready)
                value, mask = pack_latent(z[k])
                ctx.set(dut.z_value, value)
                ctx.set(dut.z_mask, mask)
                ctx.set(dut.label, int(y[k]))
                ctx.set(dut.end_batch, k == members[-1])
                ctx.set(dut.start, 1)
                await ctx.tick()
            ctx.set(dut.start, 0)
            await ctx.tick()
            while ctx.get(dut.busy):
                await ctx.tick()
            cycles.append(ctx.get(dut.image_cycles))

    async def sink(ctx):
        while len(pixels) < plan.pixels * len(y):
            ready = int(rng.random() < ready_probability)
            ctx.set(dut.pixels.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.pixels.valid, dut.pixels.payload)
            if valid and ready:
                pixels.append(payload)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(source)
    sim.add_testbench(sink)
    sim.run()
    side = plan.config.image_side
    return np.array(pixels, dtype=np.uint8).reshape(len(y), side, side), cycles


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.mark.parametrize("case", range(16))
def test_engine_matches_golden_on_random_models(case, rng):
    config = random_small_config(rng)
    chunk = int(rng.choice([8, 16, 32]))   # 32: two pop-count sub-chunks per lane
    batch = int(rng.choice([1, 1, 2, 3, 4]))
    params = EngineParams(lanes=int(rng.choice([1, 2, 4, 8, chunk])), chunk_bits=chunk,
                          batch=batch)
    model = random_folded_model(config, rng)
    plan = plan_engine(config, params)
    count = int(rng.integers(batch + 1, 2 * batch + 3)) if batch > 1 else 4
    z, y = random_inputs(rng, count, config)
    z[0] = 0                                       # an all-zero z
    ready_probability = float(rng.choice([1.0, 0.3]))
    images, cycles = run_engine(build_engine_image(model, plan), z, y,
                                ready_probability=ready_probability, seed=case)
    expected = GoldenGenerator(model).generate(z, y)
    assert sha(images) == sha(expected), (config, params)
    sizes = [min(batch, count - first) for first in range(0, count, batch)]
    expected_cycles = [plan.batch_cycles(n) for n in sizes]
    if plan.overlaps_last and ready_probability < 1:
        # An overlapped engine takes a batch while the output buffer may still be full: a slow
        # sink then delays the last layer.
        assert all(got >= want for got, want in zip(cycles, expected_cycles))
    else:
        assert cycles == expected_cycles


@pytest.mark.parametrize("register_loads", [True, False])
def test_engine_loads_another_model_through_its_port(register_loads, rng):
    """Built for one model, then loaded with another of the same shape: its images come out,
    with the load port's writes registered (ECP5) or direct (iCE40 UltraPlus)."""
    config = random_small_config(rng)
    first, second = random_folded_model(config, rng), random_folded_model(config, rng)
    # The built table sets the table memory's depth: build for the longer one, load the other.
    if len(second.table) > len(first.table):
        first, second = second, first
    plan = plan_engine(config, EngineParams(lanes=4, chunk_bits=8))
    built, wanted = build_engine_image(first, plan), build_engine_image(second, plan)
    table = list(wanted.table)[:len(built.table)]
    table += [table[-1]] * (len(built.table) - len(table))
    wanted = dataclasses.replace(wanted, table=tuple(table), table_bias=wanted.table_bias)
    z, y = random_inputs(rng, 2, config)
    writes = [(t.value, a, w) for t, a, w in image_writes(wanted)]
    images, _ = run_engine(built, z, y, load=writes, register_loads=register_loads)
    assert sha(images) == sha(GoldenGenerator(second).generate(z, y))


def test_engine_rejects_wrong_image():
    with pytest.raises(TypeError, match="EngineImage"):
        GanEngine(object())


def test_plan_counts_the_work_zero_insertion_would_waste():
    """The default deconv layer: only taps that land on an output pixel are issued."""
    from bitspin.hw.gan.architecture import preset
    plan = plan_engine(preset("default"), EngineParams(16, 64))
    deconv = next(layer for layer in plan.layers if layer.name == "deconv0")
    # 14x14 outputs; each sees 2 or 3 kernel rows and columns inside the 7x7 input.
    assert deconv.useful_macs == sum(len(r) for r in deconv.rows) ** 2 * 64 * 64
    assert deconv.zero_insertion_macs == 14 * 14 * 25 * 64 * 64
    assert deconv.useful_macs < 0.25 * deconv.zero_insertion_macs
    assert deconv.issue_cycles * 16 * 64 == deconv.useful_macs     # no padding: 100% busy


def test_an_image_moves_between_batch_sizes(rng):
    """with_batch lays the label tables out for the other batch: the same as building anew."""
    config = random_small_config(rng)
    model = random_folded_model(config, rng)
    single, batched = (build_engine_image(model, plan_engine(config, EngineParams(2, 8, b)))
                       for b in (1, 3))
    assert batched.with_batch(1) == single
    assert single.with_batch(3) == batched


def batch_starts(image, batches):
    """The clocks at which each batch's first request is taken, with requests always waiting
    and the sink always ready: the engine's steady state."""
    dut = GanEngine(image)
    plan = image.plan
    starts = []
    rng = np.random.default_rng(0)
    config = plan.config
    z, y = random_inputs(rng, plan.params.batch, config)

    async def source(ctx):
        clock, fill = 0, 0
        ctx.set(dut.pixels.ready, 1)
        ctx.set(dut.start, 1)
        while len(starts) < batches:
            value, mask = pack_latent(z[fill])
            ctx.set(dut.z_value, value)
            ctx.set(dut.z_mask, mask)
            ctx.set(dut.label, int(y[fill]))
            if ctx.get(dut.ready):
                if fill == 0:
                    starts.append(clock)
                fill = (fill + 1) % plan.params.batch
            await ctx.tick()
            clock += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(source)
    sim.run()
    return starts


@pytest.mark.parametrize("case", range(6))
def test_batches_follow_at_the_planned_interval(case, rng):
    """Overlapped engines: in steady state a batch starts every ``plan.batch_interval`` clocks,
    the rate the benchmark projects. The cases cover each bound: the binary layers (the real
    engines), the last layer, the output buffer's drain."""
    bound = ("binary", "last", "drain")[case % 3]
    while True:
        config = random_small_config(rng)
        chunk = int(rng.choice([8, 16]))
        params = EngineParams(lanes=int(rng.choice([1, 2, 4, chunk])), chunk_bits=chunk,
                              batch=int(rng.choice([2, 3, 4, 8])))
        plan = plan_engine(config, params)
        terms = {"binary": plan.binary_interval, "last": plan.last_interval,
                 "drain": params.batch * plan.pixels}
        first, second = sorted(terms.values(), reverse=True)[:2]
        # The faster stages run ahead until the buffers between them (about two batches) are
        # full, gaining first − second clocks a batch: a small gap makes a long transient.
        if max(terms, key=terms.get) == bound and first - second >= first // 8:
            break
    image = build_engine_image(random_folded_model(config, rng), plan)
    batches = 6 + -(-3 * first // (first - second))
    intervals = np.diff(batch_starts(image, batches))
    assert list(intervals[-3:]) == [plan.batch_interval] * 3, (terms, intervals)
