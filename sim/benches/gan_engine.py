"""cocotb bench for hw.gan.engine: generates one image per request and reports the pixels.

args: ``load`` (optional: ``[target, address, hex word]`` writes through the load port first), then
``requests``, a list of ``[z_value, z_mask, label]`` (z as integers: bit i of value is
z_i > 0, bit i of mask is z_i != 0), and ``batch`` (the engine's; default 1): the requests go
in batches of that many on consecutive clocks, the last one closed early by ``end_batch`` if it
is short. Reports ``images`` (one hex string of the row-major pixels per request) and
``image_cycles`` (the engine's counter after each batch). With ``stream`` = n, it then keeps
requests waiting and the sink ready for n more full batches (the first request's z each time)
and reports ``batch_starts``: the clock of each batch's first request (steady state: the
engine's rate).

The sink holds ``pixels.ready`` low while a batch computes and drains its images afterwards
(the buffer holds two batches, so the engine never stalls); back-pressure in every pattern is
covered by the faster Amaranth-simulator tests.
"""

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from bitspin.sim.testbench import args, report, start_clock_and_reset


@cocotb.test()
async def generate(dut):
    a = args()
    pixels_per_image = a["pixels"]
    dut.start.value = 0
    dut.end_batch.value = 0
    dut.pixels__ready.value = 0
    await start_clock_and_reset(dut)
    writes = a.get("load") or []
    for target, address, word in writes:
        dut.load_target.value = int(target)
        dut.load_addr.value = int(address)
        dut.load_data.value = int(word, 16)
        dut.load_write.value = 1
        await RisingEdge(dut.clk)
    if writes:
        dut.load_write.value = 0
    images, cycles = [], []
    requests, batch = a["requests"], int(a.get("batch", 1))
    for first in range(0, len(requests), batch):
        members = requests[first:first + batch]
        while not int(dut.ready.value):
            await RisingEdge(dut.clk)
        for n, (z_value, z_mask, label) in enumerate(members):
            dut.z_value.value = int(z_value)
            dut.z_mask.value = int(z_mask)
            dut.label.value = int(label)
            dut.end_batch.value = int(n == len(members) - 1)
            dut.start.value = 1
            await RisingEdge(dut.clk)
        dut.start.value = 0
        await FallingEdge(dut.busy)
        cycles.append(int(dut.image_cycles.value))
        await RisingEdge(dut.clk)
        dut.pixels__ready.value = 1
        data = bytearray()
        while len(data) < pixels_per_image * len(members):
            await ReadOnly()
            if int(dut.pixels__valid.value):
                data.append(int(dut.pixels__payload.value))
            await RisingEdge(dut.clk)
        dut.pixels__ready.value = 0
        images += [data[i:i + pixels_per_image].hex()
                   for i in range(0, len(data), pixels_per_image)]
    starts = await _stream(dut, requests[0], batch, int(a.get("stream", 0)))
    report(images=images, image_cycles=cycles, batch_starts=starts)


async def _stream(dut, request, batch, batches):
    """Clocks at which each of ``batches`` full batches takes its first request."""
    starts, clock, fill = [], 0, 0
    z_value, z_mask, label = request
    dut.z_value.value, dut.z_mask.value, dut.label.value = int(z_value), int(z_mask), int(label)
    dut.end_batch.value = 0
    dut.pixels__ready.value = 1
    dut.start.value = int(batches > 0)
    while len(starts) < batches:
        await ReadOnly()
        if int(dut.ready.value):
            if fill == 0:
                starts.append(clock)
            fill = (fill + 1) % batch
        await RisingEdge(dut.clk)
        clock += 1
    dut.start.value = 0
    return starts
