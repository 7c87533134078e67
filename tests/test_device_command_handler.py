"""CommandHandler (hw/device/command_handler.py): PING, READ, WRITE and refusals against a model
register block, under Amaranth's simulator (the frame decoder and encoder are not involved)."""

import struct

from amaranth import Elaboratable, Module, Signal
from amaranth.lib.memory import Memory

from bitspin.hw.device.command_handler import CommandHandler
from bitspin.hw.device.register_map import Opcode
from bitspin.hw.protocol.frame_format import REJECTION_SEQ, Status
from tests.pysim import run_pysim

PAYLOAD_BYTES = 64


class _Harness(Elaboratable):
    """The handler, a payload buffer read like the decoder's (data a clock after the address),
    and a 16-word register block answering two clocks after ``r_stb`` (the handler's default
    bus latency)."""

    def __init__(self, mapped=None):
        self.handler = CommandHandler(max_payload=PAYLOAD_BYTES, mapped=mapped)
        self.payload = Memory(shape=8, depth=PAYLOAD_BYTES, init=[])
        self.registers = Memory(shape=32, depth=16, init=[])

    def elaborate(self, platform):
        m = Module()
        m.submodules.handler = h = self.handler
        m.submodules.payload = self.payload
        m.submodules.registers = self.registers
        payload = self.payload.read_port()
        m.d.comb += [payload.addr.eq(h.payload_addr), h.payload_data.eq(payload.data)]
        read, write = self.registers.read_port(), self.registers.write_port()
        r_data = Signal(32)
        m.d.comb += [read.addr.eq(h.bus.addr), write.addr.eq(h.bus.addr),
                     write.data.eq(h.bus.w_data), write.en.eq(h.bus.w_stb),
                     h.bus.r_data.eq(r_data)]
        m.d.sync += r_data.eq(read.data)
        return m


def _exchange(requests, errors=(), mapped=None):
    """Serve ``requests`` [(opcode, seq, payload)] then the decoder ``errors`` [(status, seq)];
    returns [(status, seq, response bytes)] and the number of bus strobes (reads and writes)."""
    dut = _Harness(mapped)
    h = dut.handler
    responses, strobes = [], [0]

    async def requester(ctx):
        for opcode, seq, payload in requests:
            for i, byte in enumerate(payload):
                ctx.set(dut.payload.data[i], byte)
            ctx.set(h.frame.payload, {"opcode": opcode, "seq": seq, "length": len(payload)})
            ctx.set(h.frame.valid, 1)
            await ctx.tick().until(h.frame.ready)
            ctx.set(h.frame.valid, 0)
        for status, seq in errors:
            ctx.set(h.error.payload, {"status": status, "seq": seq})
            ctx.set(h.error.valid, 1)
            await ctx.tick().until(h.error.ready)
            ctx.set(h.error.valid, 0)
        for _ in range(20):
            await ctx.tick()

    async def responder(ctx):
        ctx.set(h.o.ready, 1)
        ctx.set(h.header.ready, 1)
        body = None
        async for _, _, hv, header, ov, byte, r_stb, w_stb in ctx.tick().sample(
                h.header.valid, h.header.payload, h.o.valid, h.o.payload, h.bus.r_stb,
                h.bus.w_stb):
            strobes[0] += r_stb + w_stb
            if hv:
                body = bytearray()
                responses.append((header.status, header.seq, body))
            if ov:
                body.append(byte)

    run_pysim(dut, requester, responder)
    return responses, strobes[0]


def test_ping_write_and_read_round_trip(rng):
    words = [int(w) for w in rng.integers(0, 1 << 32, size=3)]
    echo = bytes(int(b) for b in rng.integers(0, 256, size=int(rng.integers(1, 20))))
    responses, strobes = _exchange([
        (Opcode.PING, 7, echo),
        (Opcode.WRITE, 8, struct.pack("<HB", 2, 0) + struct.pack("<3I", *words)),
        (Opcode.READ, 9, struct.pack("<HHB", 1, 4, 0)),
    ])
    assert responses[0] == (Status.OK, 7, bytearray(echo))
    assert responses[1] == (Status.OK, 8, bytearray())
    status, seq, body = responses[2]
    assert (status, seq) == (Status.OK, 9)
    assert list(struct.unpack("<4I", body))[1:] == words
    assert strobes == 3 + 4


def test_malformed_and_unknown_requests_are_refused_without_a_bus_cycle():
    responses, strobes = _exchange([
        (Opcode.READ, 1, struct.pack("<HHB", 0, 0, 0)),           # count 0
        (Opcode.WRITE, 2, struct.pack("<HB", 0, 0) + b"\x01\x02"),  # not whole words
        (0x7F, 3, b""),
    ], errors=[(Status.BAD_CRC, 4)])
    # The intact frames' replies name their seq; the rejection names none (its header was not
    # verified, so the 4 it carried may be any byte).
    assert [(s, q) for s, q, _ in responses] == [
        (Status.BAD_ARGUMENT, 1), (Status.BAD_ARGUMENT, 2), (Status.UNKNOWN_OPCODE, 3),
        (Status.BAD_CRC, REJECTION_SEQ)]
    assert all(body == b"" for _, _, body in responses)
    assert strobes == 0


def test_unmapped_addresses_and_unknown_flags_are_refused_without_a_bus_cycle():
    mapped = [(0, 4), (8, 12)]                   # a hole at 4..7; nothing from 12 on
    responses, strobes = _exchange([
        (Opcode.READ, 1, struct.pack("<HHB", 4, 1, 0)),           # in the hole
        (Opcode.READ, 2, struct.pack("<HHB", 2, 3, 0)),           # runs into the hole
        (Opcode.READ, 3, struct.pack("<HHB", 0xFFFF, 2, 0)),      # past the top: no wrap to 0
        (Opcode.WRITE, 4, struct.pack("<HB", 12, 0) + bytes(4)),  # past the map
        (Opcode.READ, 5, struct.pack("<HHB", 8, 1, 0x80)),        # an unknown flag
        (Opcode.WRITE, 6, struct.pack("<HB", 8, 0x02) + bytes(4)),
        (Opcode.READ, 7, struct.pack("<HHB", 8, 4, 0)),           # exactly a range: fine
        (Opcode.READ, 8, struct.pack("<HHB", 3, 50, 1)),          # fixed: one address, fine
        (Opcode.WRITE, 9, struct.pack("<HB", 0, 0) + bytes(16)),  # fine
    ], mapped=mapped)
    assert [(s, q) for s, q, _ in responses] == [
        *((Status.BAD_ARGUMENT, q) for q in range(1, 7)),
        (Status.OK, 7), (Status.OK, 8), (Status.OK, 9)]
    assert strobes == 4 + 50 + 4
