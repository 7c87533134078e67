"""The device: UART, frame decoder, command handler, frame encoder and the register blocks."""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.device.command_handler import CommandHandler
from bitspin.hw.device.gan_block import GanBlock
from bitspin.hw.device.identity import DeviceIdentity, GanIdentity, git_hash
from bitspin.hw.device.ising_block import IsingBlock
from bitspin.hw.device.register_bus import READ_LATENCY
from bitspin.hw.device.register_map import (BLOCK_SELECT_BITS, GAN_BASE, ISING_BASE, SYSTEM_BASE,
                                            block_index)
from bitspin.hw.device.system_block import SystemBlock
from bitspin.hw.protocol.frame_decoder import FrameDecoder
from bitspin.hw.protocol.frame_encoder import FrameEncoder
from bitspin.hw.protocol.frame_format import MAX_PAYLOAD, timeout_cycles
from bitspin.hw.uart import UARTReceiver, UARTTransmitter, check_divisor

__all__ = ["DeviceCore", "DeviceTop"]

_SYSTEM, _ISING, _GAN = (block_index(base) for base in (SYSTEM_BASE, ISING_BASE, GAN_BASE))


class DeviceCore(wiring.Component):
    """Everything but the UART: request bytes in on ``rx``, response bytes out on ``tx``.

    ``activity`` is high while a core computes or a request is being received or served (the
    virtual board keeps clocking then, so the decoder's inter-byte timeout runs as on a board).
    """

    def __init__(self, clock_hz: int, *, ising=None, gan_image=None, design: str = "soc",
                 baud: int | None = None, max_payload: int = MAX_PAYLOAD,
                 weights_in_spram: bool = False, thresholds_in_spram: bool = False,
                 revision: str | None = None, check_addresses: bool = True):
        if ising is None and gan_image is None:
            raise ValueError("a device needs at least one core (ising and/or gan)")
        self.clock_hz, self.max_payload = int(clock_hz), max_payload
        # The command handler refuses accesses outside the register map (about 170 logic
        # cells of compares on an iCE40, which the full UP5K cannot spare).
        self.check_addresses = check_addresses
        self.ising_block = IsingBlock(ising) if ising is not None else None
        if gan_image is not None:
            # A batch of one: the device takes one request at a time over its link.
            gan_image = gan_image.with_batch(1)
        self.gan_block = GanBlock(gan_image, weights_in_spram, thresholds_in_spram) \
            if gan_image is not None else None
        gan = GanIdentity.of_image(gan_image, self.gan_block.load_bits, weights_in_spram,
                                   thresholds_in_spram) if gan_image is not None else None
        self.identity = DeviceIdentity(design, self.clock_hz, baud, ising, gan,
                                       revision if revision is not None else git_hash())
        super().__init__({"rx": In(stream.Signature(8)), "tx": Out(stream.Signature(8)),
                          "activity": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.decoder = decoder = FrameDecoder(
            self.max_payload, timeout_cycles=timeout_cycles(self.clock_hz))
        m.submodules.handler = handler = CommandHandler(
            READ_LATENCY + 1, self.max_payload,
            mapped=self.identity.register_map().ranges() if self.check_addresses else None)
        m.submodules.encoder = encoder = FrameEncoder(self.max_payload)
        m.submodules.system = system = SystemBlock(self.identity.to_json(), self.clock_hz)
        wiring.connect(m, wiring.flipped(self.rx), decoder.i)
        wiring.connect(m, decoder.frame, handler.frame)
        wiring.connect(m, decoder.error, handler.error)
        wiring.connect(m, handler.header, encoder.header)
        wiring.connect(m, handler.o, encoder.i)
        wiring.connect(m, encoder.o, wiring.flipped(self.tx))
        m.d.comb += [decoder.payload_addr.eq(handler.payload_addr),
                     handler.payload_data.eq(decoder.payload_data),
                     system.frame_error.eq(handler.errors)]

        blocks = {_SYSTEM: system}
        if self.ising_block is not None:
            m.submodules.ising = blocks[_ISING] = self.ising_block
            m.d.comb += self.ising_block.abort.eq(system.abort)
        if self.gan_block is not None:
            m.submodules.gan = blocks[_GAN] = self.gan_block
            m.d.comb += self.gan_block.abort.eq(system.abort)
        bus, select = handler.bus, handler.bus_addr_high
        selected = Signal(BLOCK_SELECT_BITS)
        read_data = Signal(32)
        with m.If(bus.r_stb):
            m.d.sync += selected.eq(select)
        for index, block in blocks.items():
            hit = select == index
            m.d.comb += [block.bus.addr.eq(bus.addr), block.bus.w_data.eq(bus.w_data),
                         block.bus.r_stb.eq(bus.r_stb & hit), block.bus.w_stb.eq(bus.w_stb & hit)]
        value = 0
        for index, block in blocks.items():
            value = Mux(selected == index, block.bus.r_data, value)
        m.d.sync += read_data.eq(value)
        m.d.comb += bus.r_data.eq(read_data)
        m.d.comb += self.activity.eq(
            decoder.busy | handler.busy
            | (self.ising_block.busy if self.ising_block is not None else 0)
            | (self.gan_block.busy if self.gan_block is not None else 0))
        return m


class DeviceTop(wiring.Component):
    """:class:`DeviceCore` behind an 8N1 UART of ``divisor`` clocks per bit.

    The receiver's bytes pass a small FIFO, so a byte arriving while the decoder is briefly busy
    is not lost.
    """

    def __init__(self, divisor: int, clock_hz: int, **core_args):
        self.divisor = check_divisor(divisor)
        self.core = DeviceCore(clock_hz, baud=round(clock_hz / divisor), **core_args)
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "activity": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.receiver = receiver = UARTReceiver(self.divisor)
        m.submodules.transmitter = transmitter = UARTTransmitter(self.divisor)
        m.submodules.rx_fifo = rx_fifo = fifo.SyncFIFOBuffered(width=8, depth=16)
        m.submodules.core = core = self.core
        wiring.connect(m, receiver.o_stream, rx_fifo.w_stream)
        wiring.connect(m, rx_fifo.r_stream, core.rx)
        wiring.connect(m, core.tx, transmitter.i_stream)
        m.d.comb += [receiver.rx.eq(self.rx), self.tx.eq(transmitter.tx),
                     self.activity.eq(core.activity)]
        return m
