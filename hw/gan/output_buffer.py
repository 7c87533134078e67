"""The engine's output: two banks of whole batches, written a pixel of every image at once, read
out image after image."""

from __future__ import annotations

from amaranth import Array, Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["OutputBuffer"]


class OutputBuffer(wiring.Component):
    """Two banks, each holding one batch of ``batch`` images of ``pixels`` pixels of ``width``
    bits.

    The engine computes the images of a batch in lockstep, so pixel p of every image is ready in
    the same clock: ``write`` stores them (``data``: image i at bits [width·i, width·(i + 1)))
    as one word of the bank being filled. After its ``pixels``-th write the bank is full and holds ``images``
    (sampled with that write) images; the other bank is filled next. ``pixels`` streams a full
    bank out image after image, first image first, one pixel per clock while the sink is
    ready, and frees the bank after the last pixel of its last image. ``free``: the bank to be
    filled next is empty, so a whole batch fits (the engine starts a batch only then and never
    stalls mid-image).
    """

    def __init__(self, batch: int, pixels: int, width: int = 8):
        if not isinstance(batch, int) or batch < 1:
            raise ValueError(f"batch must be an integer >= 1, not {batch!r}")
        if not isinstance(pixels, int) or pixels < 1:
            raise ValueError(f"pixels must be an integer >= 1, not {pixels!r}")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be an integer >= 1, not {width!r}")
        self.batch, self.pixels_per_image, self.width = batch, pixels, width
        super().__init__({
            "write": In(1), "data": In(width * batch), "images": In(range(1, batch + 1)),
            "free": Out(1), "pixels": Out(stream.Signature(width)),
        })

    def elaborate(self, platform):
        m = Module()
        n, k, width = self.pixels_per_image, self.batch, self.width
        m.submodules.memory = memory = Memory(shape=unsigned(width * k), depth=2 * n, init=[])
        write, read = memory.write_port(), memory.read_port(transparent_for=())
        full = [Signal(name=f"full{b}") for b in range(2)]
        count = [Signal(range(1, k + 1), init=1, name=f"count{b}") for b in range(2)]
        full_of, count_of = Array(full), Array(count)

        # Writer: fills bank `w_bank` pixel by pixel.
        w_bank, w_pixel = Signal(), Signal(range(n))
        m.d.comb += [self.free.eq(~full_of[w_bank]), write.addr.eq(w_bank * n + w_pixel),
                     write.data.eq(self.data), write.en.eq(self.write)]
        closing = Signal()
        m.d.comb += closing.eq(self.write & (w_pixel == n - 1))
        with m.If(self.write):
            m.d.sync += w_pixel.eq(w_pixel + 1)
        with m.If(closing):
            m.d.sync += [w_pixel.eq(0), w_bank.eq(~w_bank), count_of[w_bank].eq(self.images)]

        # Reader: a stream of two registered stages that advance together, the read port's and
        # one after it, so a stalled sink holds both. The second stage takes the block RAM's
        # output before any logic: its 5.8 ns clock-to-out, then the image's selection and the
        # engine's table lookup, was the critical path of GAN run 18 (13.7 ns).
        r_bank, r_image, r_pixel = Signal(), Signal(range(k)), Signal(range(n))
        read_valid, read_slot = Signal(), Signal(range(k))
        valid, slot = Signal(), Signal(range(k))
        word = Signal(width * k, reset_less=True)
        advance, taking, freeing = Signal(), Signal(), Signal()
        m.d.comb += [advance.eq(~valid | self.pixels.ready),
                     taking.eq(advance & full_of[r_bank]),
                     freeing.eq(taking & (r_pixel == n - 1) & (r_image == count_of[r_bank] - 1)),
                     read.addr.eq(r_bank * n + r_pixel), read.en.eq(advance),
                     self.pixels.valid.eq(valid),
                     self.pixels.payload.eq(word.word_select(slot, width))]
        with m.If(advance):
            m.d.sync += [read_valid.eq(full_of[r_bank]), valid.eq(read_valid),
                         word.eq(read.data), slot.eq(read_slot)]
        with m.If(taking):
            m.d.sync += [read_slot.eq(r_image), r_pixel.eq(r_pixel + 1)]
            with m.If(r_pixel == n - 1):
                m.d.sync += [r_pixel.eq(0), r_image.eq(r_image + 1)]
        with m.If(freeing):
            m.d.sync += [r_image.eq(0), r_bank.eq(~r_bank)]
        # The writer fills only an empty bank and the reader frees only a full one, so the two
        # never touch the same flag in one clock.
        for b in range(2):
            with m.If(closing & (w_bank == b)):
                m.d.sync += full[b].eq(1)
            with m.If(freeing & (r_bank == b)):
                m.d.sync += full[b].eq(0)
        return m
