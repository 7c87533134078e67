"""System registers: magic, identity text, clock rate, the free-running cycle counter."""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from bitspin.hw.device.register_bus import RegisterBus
from bitspin.hw.device.register_map import IDENTITY_BASE, IDENTITY_WORDS, MAGIC, PROTOCOL_VERSION, \
    SYSTEM_BASE, device_register_map

__all__ = ["SystemBlock"]


class SystemBlock(wiring.Component):
    """The system registers of :func:`~hw.device.register_map.device_register_map`.

    The identity (a JSON text: design, version, git hash, core parameters) is a ROM read through
    the IDENTITY window. CYCLES is a free-running 64-bit counter; reading CYCLES_LO latches the
    high word, so the host reads one consistent 64-bit value with a two-word READ. Writing 1 to
    ABORT pulses ``abort`` for one clock (the device resets its cores' jobs and FIFOs with it).
    """

    def __init__(self, identity: bytes, clock_hz: int):
        if not isinstance(identity, bytes) or not identity:
            raise ValueError("identity must be non-empty bytes")
        if len(identity) > 4 * IDENTITY_WORDS:
            raise ValueError(f"identity is {len(identity)} bytes; at most {4 * IDENTITY_WORDS}")
        if not isinstance(clock_hz, int) or not 0 < clock_hz < 1 << 32:
            raise ValueError(f"clock_hz must be a positive 32-bit integer, not {clock_hz!r}")
        self.identity, self.clock_hz = identity, clock_hz
        super().__init__({"bus": In(RegisterBus), "frame_error": In(1), "abort": Out(1)})

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        regs = device_register_map()
        padded = self.identity + bytes(-len(self.identity) % 4)
        words = [int.from_bytes(padded[i:i + 4], "little") for i in range(0, len(padded), 4)]
        m.submodules.identity = rom = Memory(shape=32, depth=len(words), init=words)
        read = rom.read_port(transparent_for=())
        m.d.comb += read.addr.eq(bus.addr - (IDENTITY_BASE - SYSTEM_BASE))

        cycles = Signal(64)
        high = Signal(32)
        scratch = Signal(32)
        errors = Signal(32)
        m.d.sync += cycles.eq(cycles + 1)
        with m.If(self.frame_error):
            m.d.sync += errors.eq(errors + 1)
        in_identity = (bus.addr >= IDENTITY_BASE) & (bus.addr < IDENTITY_BASE + len(words))
        selected_identity = Signal()
        value = Signal(32)
        with m.Switch(bus.addr):
            for name, constant in (("MAGIC", MAGIC), ("PROTOCOL_VERSION", PROTOCOL_VERSION),
                                   ("IDENTITY_BYTES", len(self.identity)),
                                   ("CLOCK_HZ", self.clock_hz)):
                with m.Case(regs.local(name)):
                    m.d.comb += value.eq(constant)
            with m.Case(regs.local("CYCLES_LO")):
                m.d.comb += value.eq(cycles[:32])
            with m.Case(regs.local("CYCLES_HI")):
                m.d.comb += value.eq(high)
            with m.Case(regs.local("SCRATCH")):
                m.d.comb += value.eq(scratch)
            with m.Case(regs.local("ERRORS")):
                m.d.comb += value.eq(errors)
        registered = Signal(32)
        with m.If(bus.r_stb):
            m.d.sync += [registered.eq(value), selected_identity.eq(in_identity)]
            with m.If(bus.addr == regs.local("CYCLES_LO")):
                m.d.sync += high.eq(cycles[32:])
        m.d.comb += bus.r_data.eq(Mux(selected_identity, read.data, registered))
        with m.If(bus.w_stb & (bus.addr == regs.local("SCRATCH"))):
            m.d.sync += scratch.eq(bus.w_data)
        m.d.comb += self.abort.eq(bus.w_stb & (bus.addr == regs.local("ABORT")) & bus.w_data[0])
        return m
