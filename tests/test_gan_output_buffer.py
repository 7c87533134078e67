"""OutputBuffer (hw/gan/output_buffer.py): batches in, images out in order, at a pixel per clock."""

import pytest

from bitspin.hw.gan.output_buffer import OutputBuffer
from tests.pysim import run_pysim


def _batches(rng, batch, pixels, count):
    """``count`` batches of 1..batch images with random pixels: [[image][pixel]]."""
    return [[[int(v) for v in rng.integers(0, 256, pixels)]
             for _ in range(int(rng.integers(1, batch + 1)))] for _ in range(count)]


def _run(batch, pixels, batches, ready_probability, rng):
    dut = OutputBuffer(batch, pixels)
    out, gaps = [], []

    async def writer(ctx):
        for images in batches:
            while not ctx.get(dut.free):
                await ctx.tick()
            for p in range(pixels):
                word = sum(images[i][p] << (8 * i) for i in range(len(images)))
                ctx.set(dut.data, word)
                ctx.set(dut.images, len(images))
                ctx.set(dut.write, 1)
                await ctx.tick()
                ctx.set(dut.write, 0)
                if rng.random() < 0.2:
                    await ctx.tick()

    async def reader(ctx):
        wanted = sum(len(images) for images in batches) * pixels
        clock = last = 0
        while len(out) < wanted:
            ready = int(rng.random() < ready_probability)
            ctx.set(dut.pixels.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.pixels.valid, dut.pixels.payload)
            clock += 1
            if valid and ready:
                if out:
                    gaps.append(clock - last)
                out.append(payload)
                last = clock

    run_pysim(dut, reader, writer)
    return out, gaps


@pytest.mark.parametrize("batch", [1, 2, 3, 4])
def test_images_come_out_whole_and_in_order(batch, rng):
    pixels = int(rng.integers(1, 12))
    batches = _batches(rng, batch, pixels, 5)
    out, _ = _run(batch, pixels, batches, 0.4, rng)
    assert out == [v for images in batches for image in images for v in image]


def test_a_full_bank_drains_at_a_pixel_per_clock(rng):
    """With the sink always ready, a full bank streams with no idle clock between pixels."""
    batch, pixels = 3, 16
    batches = [[[int(v) for v in rng.integers(0, 256, pixels)] for _ in range(batch)]]
    out, gaps = _run(batch, pixels, batches, 1.0, rng)
    assert out == [v for image in batches[0] for v in image]
    assert set(gaps) == {1}


def test_rejects_bad_shapes():
    with pytest.raises(ValueError, match="batch"):
        OutputBuffer(0, 4)
    with pytest.raises(ValueError, match="pixels"):
        OutputBuffer(2, 0)
