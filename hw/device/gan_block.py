"""The GAN engine behind its registers: request, start, pixel FIFO, model load port."""

from __future__ import annotations

from amaranth import C, Cat, Module, Mux, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from bitspin.hw.device.register_bus import RegisterBus
from bitspin.hw.device.register_map import JOB_HEADER_MARK, JOB_TAG_BITS, device_register_map
from bitspin.hw.gan.engine import GanEngine
from bitspin.hw.gan.image import EngineImage

__all__ = ["GanBlock", "model_tag"]


def model_tag(sha256_hex: str) -> int:
    """GAN_MODEL_TAG of a model: the first 32 bits of its engine image's SHA-256 (never 0)."""
    return int(sha256_hex[:8], 16) or 1


class GanBlock(wiring.Component):
    """A loadable :class:`~hw.gan.engine.GanEngine` with the GAN_* registers.

    Writing 1 to GAN_COMMAND starts an image from GAN_Z_VALUE / GAN_Z_MASK / GAN_LABEL (if the
    engine is ready; otherwise the write is ignored and GAN_STATUS shows why). Pixels are packed
    four to a word, first pixel lowest, into a FIFO of two images that the host drains through
    GAN_PIXEL_DATA; an image whose pixel count is not a multiple of four ends with a partial
    word. Each image's words begin with a header word, ``job_header(GAN_JOB_TAG)``: the host
    writes a fresh tag before each start (a tag write is ignored while an image is in flight)
    and checks it, so it never takes another job's pixels for its image. GAN_JOB_STATE counts
    the starts taken since the tag was written and flags a read of the empty FIFO.

    GAN_LOAD_DATA takes a memory word 32 bits at a time (low first) and writes it to
    GAN_LOAD_TARGET at GAN_LOAD_ADDR after the last piece, then increments GAN_LOAD_ADDR.
    ``abort`` resets the engine's control, the pixel packer, the FIFO, the job state and a
    half-pushed load word in one clock; the model (memories, the reset-less table bias) and
    the registers stay.
    """

    def __init__(self, image: EngineImage, weights_in_spram: bool = False,
                 thresholds_in_spram: bool = False):
        if not isinstance(image, EngineImage):
            raise TypeError("image must be an EngineImage")
        self.image = image
        # The z registers feed the engine directly (no second copy) and refuse writes while
        # it computes.
        self.engine = GanEngine(image, loadable=True, single_port_thresholds=thresholds_in_spram,
                                latch_request=False)
        self.load_bits = len(self.engine.load_data)
        # SPRAM starts empty: no model until the host loads one.
        self.model_tag = 0 if weights_in_spram or thresholds_in_spram else \
            model_tag(image.sha256())
        super().__init__({"bus": In(RegisterBus), "busy": Out(1), "abort": In(1)})

    def elaborate(self, platform):
        m = Module()
        bus, plan = self.bus, self.image.plan
        regs = device_register_map(gan_plan=plan, gan_load_bits=self.load_bits)
        engine = self.engine
        m.submodules.engine = ResetInserter(self.abort)(engine)
        pixels = plan.pixels
        words_per_image = -(-pixels // 4)
        fifo = SyncFIFOBuffered(width=32, depth=2 * (words_per_image + 1))
        m.submodules.pixel_words = ResetInserter(self.abort)(fifo)
        m.d.comb += self.busy.eq(engine.busy)

        # Pixel packer: a header word when an image's first pixel arrives (the pixel waits a
        # clock behind it), then four bytes per word; the last word of an image may be partial.
        job_tag = Signal(JOB_TAG_BITS)
        starts, empty_read = Signal(2), Signal()     # GAN_JOB_STATE
        # In flight: started and not yet headed (awaiting), or headed and not yet fully packed.
        # The tag cannot change meanwhile, so each header carries the tag of its image's start.
        awaiting, headed = Signal(), Signal()
        packed, filled = Signal(32), Signal(range(4))
        with_pixel = Signal(32)            # the word with the offered pixel in its place
        in_image = Signal(range(pixels))
        need_header = engine.pixels.valid & ~headed
        take = engine.pixels.valid & headed & fifo.w_rdy
        m.d.comb += [engine.pixels.ready.eq(fifo.w_rdy & headed),
                     with_pixel.eq(packed | (engine.pixels.payload << (filled * 8))),
                     fifo.w_data.eq(Mux(headed, with_pixel,
                                        Cat(job_tag, C(JOB_HEADER_MARK, JOB_TAG_BITS))))]
        with m.If(need_header):
            m.d.comb += fifo.w_en.eq(1)
            with m.If(fifo.w_rdy):
                m.d.sync += [headed.eq(1), awaiting.eq(0)]
        with m.If(take):
            last_of_image = in_image == pixels - 1
            m.d.sync += [in_image.eq(Mux(last_of_image, 0, in_image + 1)),
                         packed.eq(with_pixel),
                         filled.eq(filled + 1)]
            with m.If((filled == 3) | last_of_image):
                m.d.comb += fifo.w_en.eq(1)
                m.d.sync += [packed.eq(0), filled.eq(0)]
            with m.If(last_of_image):
                m.d.sync += headed.eq(0)

        z_words = regs["GAN_Z_VALUE"].count
        z_value, z_mask = Signal(32 * z_words), Signal(32 * z_words)
        label = Signal(8)
        load_words = -(-self.load_bits // 32)
        staged = Signal(32 * load_words)
        pushed = Signal(range(load_words + 1))
        load_target, load_addr = Signal(8), Signal(32)
        tag = Signal(32, init=self.model_tag)
        commit = Signal()
        # One image per start: the device takes a request at a time over its link.
        m.d.comb += [engine.end_batch.eq(1), engine.z_value.eq(z_value), engine.z_mask.eq(z_mask),
                     engine.label.eq(label), engine.load_target.eq(load_target),
                     engine.load_addr.eq(load_addr), engine.load_data.eq(staged),
                     engine.load_write.eq(commit)]
        m.d.sync += commit.eq(0)
        with m.If(commit):
            m.d.sync += load_addr.eq(load_addr + 1)

        def local(name, index=0):
            return regs.local(name, index)

        value = Signal(32)
        with m.Switch(bus.addr):
            with m.Case(local("GAN_STATUS")):
                m.d.comb += value.eq(Cat(engine.busy, engine.ready))
            for name, signal in (("GAN_LABEL", label), ("GAN_IMAGE_CYCLES", engine.image_cycles),
                                 ("GAN_IMAGES", engine.images), ("GAN_PIXEL_LEVEL", fifo.level),
                                 ("GAN_LOAD_TARGET", load_target), ("GAN_LOAD_ADDR", load_addr),
                                 ("GAN_MODEL_TAG", tag), ("GAN_JOB_TAG", job_tag),
                                 ("GAN_JOB_STATE", Cat(starts, empty_read))):
                with m.Case(local(name)):
                    m.d.comb += value.eq(signal)
            with m.Case(local("GAN_PIXEL_DATA")):
                m.d.comb += value.eq(Mux(fifo.r_rdy, fifo.r_data, 0))
            for i in range(z_words):
                with m.Case(local("GAN_Z_VALUE", i)):
                    m.d.comb += value.eq(z_value.word_select(i, 32))
                with m.Case(local("GAN_Z_MASK", i)):
                    m.d.comb += value.eq(z_mask.word_select(i, 32))
        with m.If(bus.r_stb):
            m.d.sync += bus.r_data.eq(value)
            with m.If(bus.addr == local("GAN_PIXEL_DATA")):
                m.d.comb += fifo.r_en.eq(1)
                # An empty FIFO reads 0, which looks like pixels: flagged for the host.
                with m.If(~fifo.r_rdy):
                    m.d.sync += empty_read.eq(1)

        with m.If(bus.w_stb):
            with m.Switch(bus.addr):
                with m.Case(local("GAN_COMMAND")):
                    m.d.comb += engine.start.eq(bus.w_data[0])
                    with m.If(bus.w_data[0] & engine.ready):   # the engine takes the start
                        m.d.sync += awaiting.eq(1)
                        with m.If(~starts.all()):
                            m.d.sync += starts.eq(starts + 1)
                with m.Case(local("GAN_JOB_TAG")):
                    with m.If(~engine.busy & ~awaiting & ~headed):
                        m.d.sync += [job_tag.eq(bus.w_data), starts.eq(0), empty_read.eq(0)]
                for name, signal in (("GAN_LABEL", label), ("GAN_LOAD_TARGET", load_target),
                                     ("GAN_LOAD_ADDR", load_addr), ("GAN_MODEL_TAG", tag)):
                    with m.Case(local(name)):
                        m.d.sync += signal.eq(bus.w_data)
                with m.Case(local("GAN_LOAD_DATA")):
                    m.d.sync += [staged.eq(Cat(staged[32:], bus.w_data)), pushed.eq(pushed + 1)]
                    with m.If(pushed == load_words - 1):
                        m.d.sync += [pushed.eq(0), commit.eq(1)]
                for i in range(z_words):
                    with m.Case(local("GAN_Z_VALUE", i)):
                        with m.If(~engine.busy):
                            m.d.sync += z_value.word_select(i, 32).eq(bus.w_data)
                    with m.Case(local("GAN_Z_MASK", i)):
                        with m.If(~engine.busy):
                            m.d.sync += z_mask.word_select(i, 32).eq(bus.w_data)
        with m.If(self.abort):
            m.d.sync += [packed.eq(0), filled.eq(0), in_image.eq(0), pushed.eq(0), headed.eq(0),
                         awaiting.eq(0), starts.eq(0), empty_read.eq(0)]
        return m
