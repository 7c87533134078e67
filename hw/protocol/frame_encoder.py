"""Gateware frame encoder: a response header and its payload bytes in, framed bytes out."""

from amaranth import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .frame_decoder import check_max_payload
from .frame_format import FRAME_CRC, MAX_PAYLOAD, RESPONSE_SYNC

__all__ = ["FrameEncoder", "ResponseHeader"]


class ResponseHeader(data.Struct):
    """What :attr:`FrameEncoder.header` takes: a :class:`Status` code, the seq to echo, and the
    number of payload bytes that will follow on :attr:`FrameEncoder.i`."""
    status: 8
    seq: 8
    length: 16


class FrameEncoder(wiring.Component):
    """Frames a response: sync, status, seq, length, payload, CRC, out on ``o``.

    A transfer on ``header`` starts a frame (``header.ready`` is high only between frames). The
    encoder then sends the five header bytes, passes exactly ``header.length`` bytes from ``i``
    through to ``o`` (``i.ready`` follows ``o.ready``, combinationally), and ends with the CRC,
    low byte first. A zero length sends the CRC right after the header. The CRC comes from an
    ``amaranth.lib.crc.Processor`` fed with each byte as it leaves, so the payload is never
    stored. ``o`` carries one byte per clock when it is always ready; a new frame may start on
    the clock after the last CRC byte.

    ``header.length`` must be at most ``max_payload``: the payload counter is only that wide, and
    a longer frame would be rejected by the host anyway.

    Cost: a 16-bit CRC register with its XOR network, header registers (8 + 8 bits), a payload
    counter of ``bits_for(max_payload)`` bits and a nine-state FSM.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD):
        self.max_payload = check_max_payload(max_payload)
        super().__init__({
            "header": In(stream.Signature(ResponseHeader)),
            "i": In(stream.Signature(8)),
            "o": Out(stream.Signature(8)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.crc = crc = FRAME_CRC(data_width=8).create()

        status = Signal(8)
        seq = Signal(8)
        length = Signal(range(self.max_payload + 1))
        remaining = Signal(range(self.max_payload))
        sent = Signal()
        m.d.comb += sent.eq(self.o.valid & self.o.ready)
        # Every byte after the sync byte, up to the end of the payload, goes into the CRC.
        m.d.comb += crc.data.eq(self.o.payload)

        def header_byte(value, next_state):
            m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(value), crc.valid.eq(sent)]
            with m.If(sent):
                m.next = next_state

        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.header.ready.eq(1)
                with m.If(self.header.valid):
                    m.d.sync += [
                        status.eq(self.header.payload.status),
                        seq.eq(self.header.payload.seq),
                        length.eq(self.header.payload.length),
                    ]
                    m.next = "SYNC"
            with m.State("SYNC"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(RESPONSE_SYNC),
                             crc.start.eq(1)]
                with m.If(sent):
                    m.next = "STATUS"
            with m.State("STATUS"):
                header_byte(status, "SEQ")
            with m.State("SEQ"):
                header_byte(seq, "LENGTH_LOW")
            with m.State("LENGTH_LOW"):
                header_byte(length[:8], "LENGTH_HIGH")
            with m.State("LENGTH_HIGH"):
                header_byte(length >> 8, "PAYLOAD")
                with m.If(sent):
                    m.d.sync += remaining.eq(length - 1)
                    with m.If(length == 0):
                        m.next = "CRC_LOW"
            with m.State("PAYLOAD"):
                m.d.comb += [
                    self.o.valid.eq(self.i.valid),
                    self.o.payload.eq(self.i.payload),
                    self.i.ready.eq(self.o.ready),
                    crc.valid.eq(sent),
                ]
                with m.If(sent):
                    m.d.sync += remaining.eq(remaining - 1)
                    with m.If(remaining == 0):
                        m.next = "CRC_LOW"
            with m.State("CRC_LOW"):
                # The CRC register took the last byte at least one clock ago: it is final.
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(crc.crc[:8])]
                with m.If(sent):
                    m.next = "CRC_HIGH"
            with m.State("CRC_HIGH"):
                m.d.comb += [self.o.valid.eq(1), self.o.payload.eq(crc.crc[8:])]
                with m.If(sent):
                    m.next = "IDLE"
        return m
