"""Request frames to register-bus cycles, and the response frames back."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.device.register_bus import READ_LATENCY, RegisterBus
from bitspin.hw.device.register_map import (ADDRESS_BITS, BLOCK_ADDRESS_BITS, BLOCK_SELECT_BITS,
                                            MAX_WORDS, READ_FLAG_FIXED, Opcode)
from bitspin.hw.protocol.frame_decoder import DecodeError, RequestHeader
from bitspin.hw.protocol.frame_encoder import ResponseHeader
from bitspin.hw.protocol.frame_format import REJECTION_SEQ, Status

__all__ = ["CommandHandler"]


class CommandHandler(wiring.Component):
    """Serves one request at a time from a :class:`~hw.protocol.frame_decoder.FrameDecoder`.

    - PING: answers OK with the request's payload;
    - READ ``address u16 | count u16 | flags u8``: ``count`` bus reads (1 … 255), answered with
      their 4-byte little-endian words as they come;
    - WRITE ``address u16 | flags u8 | words``: one bus write per 4 payload bytes (1 … 255
      words), answered OK once all are done;
    - anything else: UNKNOWN_OPCODE; a malformed READ or WRITE, a flag other than
      ``READ_FLAG_FIXED``, or words outside the ``mapped`` address ranges (an access past the
      end never wraps to 0): BAD_ARGUMENT, with no bus cycle;
    - a decoder error event (BAD_CRC, BAD_LENGTH, TIMEOUT): a response with its status, empty,
      whose seq is :data:`~hw.protocol.frame_format.REJECTION_SEQ`: the rejected header was not
      verified, so the reply names no request.

    The frame is released (``frame.ready``) only after the response has gone to the encoder,
    so the payload buffer stays valid throughout. ``errors`` pulses once per decoder error.
    ``bus_latency`` is the clocks from ``r_stb`` to ``r_data`` as the handler sees it.
    """

    def __init__(self, bus_latency: int = READ_LATENCY + 1, max_payload: int = 1024,
                 mapped: list[tuple[int, int]] | None = None):
        if not isinstance(bus_latency, int) or bus_latency < 1:
            raise ValueError(f"bus_latency must be a positive integer, not {bus_latency!r}")
        self.bus_latency = bus_latency
        #: ``[start, end)`` address ranges that exist (None: the whole address space).
        self.mapped = list(mapped) if mapped is not None else [(0, 1 << ADDRESS_BITS)]
        super().__init__({
            "frame": In(stream.Signature(RequestHeader)),
            "payload_addr": Out(range(max_payload)), "payload_data": In(8),
            "error": In(stream.Signature(DecodeError)),
            "header": Out(stream.Signature(ResponseHeader)),
            "o": Out(stream.Signature(8)),
            "bus": Out(RegisterBus),
            "bus_addr_high": Out(BLOCK_SELECT_BITS),
            "busy": Out(1), "errors": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        frame, bus = self.frame.payload, self.bus
        opcode, seq, length = Signal(8), Signal(8), Signal(16)
        address = Signal(ADDRESS_BITS)
        count = Signal(16)
        fixed = Signal()
        index = Signal(16)          # payload byte or word index
        args = Signal(40)           # the first five payload bytes
        word = Signal(32)
        byte = Signal(2)
        wait = Signal(range(self.bus_latency + 1))
        status = Signal(8)
        flags_ok = Signal()
        then = Signal()             # 0: a READ, 1: a WRITE, once the access is checked
        # The last word the request touches, without wrapping past the top of the space.
        last = Signal(ADDRESS_BITS + 1)
        m.d.comb += last.eq(address + Mux(fixed, 0, count - 1))
        inside = 0
        for start, end in self.mapped:
            inside |= (address >= start) & (last < end)

        m.d.comb += [bus.addr.eq(address[:BLOCK_ADDRESS_BITS]),
                     self.bus_addr_high.eq(address[BLOCK_ADDRESS_BITS:]),
                     self.header.payload.seq.eq(seq)]

        def send_header(code, payload_length, then):
            """Offer the response header; go to ``then`` once the encoder takes it."""
            m.d.comb += [self.header.valid.eq(1), self.header.payload.status.eq(code),
                         self.header.payload.length.eq(payload_length)]
            with m.If(self.header.ready):
                m.next = then

        with m.FSM() as fsm:
            with m.State("IDLE"):
                with m.If(self.error.valid):
                    # The rejected header failed its check: its seq byte may be any byte (a
                    # stray sync turns the next request's opcode into it), so the reply names
                    # none (REJECTION_SEQ).
                    m.d.sync += [status.eq(self.error.payload.status),
                                 seq.eq(REJECTION_SEQ)]
                    m.d.comb += [self.error.ready.eq(1), self.errors.eq(1)]
                    m.next = "ERROR_HEADER"
                with m.Elif(self.frame.valid):
                    m.d.sync += [opcode.eq(frame.opcode), seq.eq(frame.seq),
                                 length.eq(frame.length), index.eq(0)]
                    m.next = "FETCH_ARGS"
            with m.State("ERROR_HEADER"):
                send_header(status, 0, "IDLE")

            # The first five payload bytes (what of them exists) into ``args``.
            with m.State("FETCH_ARGS"):
                m.d.comb += self.payload_addr.eq(index)
                m.d.sync += index.eq(index + 1)
                with m.If(index != 0):
                    m.d.sync += args.eq(Cat(args[8:], self.payload_data))
                with m.If(index == 5):
                    m.next = "DISPATCH"
            with m.State("DISPATCH"):
                with m.Switch(opcode):
                    with m.Case(Opcode.PING):
                        m.d.sync += index.eq(0)
                        m.next = "PING_HEADER"
                    with m.Case(Opcode.READ):
                        # args = address(2) count(2) flags(1), first byte lowest.
                        n = args[16:32]
                        with m.If((length == 5) & (n >= 1) & (n <= MAX_WORDS)):
                            m.d.sync += [address.eq(args[:16]), count.eq(n),
                                         fixed.eq((args[32:40] & READ_FLAG_FIXED) != 0),
                                         flags_ok.eq((args[32:40] & ~READ_FLAG_FIXED) == 0),
                                         index.eq(0), then.eq(0)]
                            m.next = "CHECK"
                        with m.Else():
                            m.next = "BAD_ARGUMENT"
                    with m.Case(Opcode.WRITE):
                        words = (length - 3) >> 2
                        with m.If((length >= 7) & ((length - 3) & 3 == 0) &
                                  (words <= MAX_WORDS)):
                            m.d.sync += [address.eq(args[:16]),
                                         fixed.eq((args[16:24] & READ_FLAG_FIXED) != 0),
                                         flags_ok.eq((args[16:24] & ~READ_FLAG_FIXED) == 0),
                                         count.eq(words), index.eq(3), byte.eq(0),
                                         then.eq(1)]
                            m.next = "CHECK"
                        with m.Else():
                            m.next = "BAD_ARGUMENT"
                    with m.Default():
                        m.d.sync += status.eq(Status.UNKNOWN_OPCODE)
                        m.next = "STATUS_HEADER"
            # From registered operands: the range compares stay off the decode path.
            with m.State("CHECK"):
                with m.If(~flags_ok | ~inside):
                    m.next = "BAD_ARGUMENT"
                with m.Elif(then):
                    m.next = "WRITE_FETCH"
                with m.Else():
                    m.next = "READ_HEADER"
            with m.State("BAD_ARGUMENT"):
                m.d.sync += status.eq(Status.BAD_ARGUMENT)
                m.next = "STATUS_HEADER"
            with m.State("STATUS_HEADER"):
                send_header(status, 0, "RELEASE")
            with m.State("RELEASE"):
                m.d.comb += self.frame.ready.eq(1)
                m.next = "IDLE"

            # PING: the payload, byte by byte (address, then the byte a clock later).
            with m.State("PING_HEADER"):
                send_header(Status.OK, length, "PING_ADDRESS")
            with m.State("PING_ADDRESS"):
                m.d.comb += self.payload_addr.eq(index)
                with m.If(index == length):
                    m.next = "RELEASE"
                with m.Else():
                    m.next = "PING_BYTE"
            with m.State("PING_BYTE"):
                m.d.comb += [self.payload_addr.eq(index),
                             self.o.valid.eq(1), self.o.payload.eq(self.payload_data)]
                with m.If(self.o.ready):
                    m.d.sync += index.eq(index + 1)
                    m.next = "PING_ADDRESS"

            # READ: header, then per word a bus read and its four bytes.
            with m.State("READ_HEADER"):
                send_header(Status.OK, count << 2, "READ_STROBE")
            with m.State("READ_STROBE"):
                m.d.comb += bus.r_stb.eq(1)
                m.d.sync += wait.eq(self.bus_latency)
                m.next = "READ_WAIT"
            with m.State("READ_WAIT"):
                m.d.sync += wait.eq(wait - 1)
                with m.If(wait == 1):
                    m.d.sync += [word.eq(bus.r_data), byte.eq(0)]
                    m.next = "READ_SEND"
            with m.State("READ_SEND"):
                m.d.comb += [self.o.valid.eq(1),
                             self.o.payload.eq(word.word_select(byte, 8))]
                with m.If(self.o.ready):
                    m.d.sync += byte.eq(byte + 1)
                    with m.If(byte == 3):
                        m.d.sync += [index.eq(index + 1), address.eq(address + ~fixed)]
                        with m.If(index + 1 == count):
                            m.next = "RELEASE"
                        with m.Else():
                            m.next = "READ_STROBE"

            # WRITE: per word, four payload bytes (address, byte a clock later), then a strobe.
            with m.State("WRITE_FETCH"):
                m.d.comb += self.payload_addr.eq(index)
                m.next = "WRITE_BYTE"
            with m.State("WRITE_BYTE"):
                m.d.sync += [word.eq(Cat(word[8:], self.payload_data)), index.eq(index + 1),
                             byte.eq(byte + 1)]
                with m.If(byte == 3):
                    m.next = "WRITE_STROBE"
                with m.Else():
                    m.next = "WRITE_FETCH"
            with m.State("WRITE_STROBE"):
                m.d.comb += [bus.w_stb.eq(1), bus.w_data.eq(word)]
                m.d.sync += [address.eq(address + ~fixed), count.eq(count - 1)]
                with m.If(count == 1):
                    m.d.sync += status.eq(Status.OK)
                    m.next = "STATUS_HEADER"
                with m.Else():
                    m.next = "WRITE_FETCH"
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m
