"""Gateware frame decoder: request frames in from a byte stream, checked frames out.

See :mod:`hw.protocol.frame_format` for the format and :class:`sw.device.frames.FrameParser` for
the software reference, which this decoder matches event for event.
"""

from contextlib import contextmanager

from amaranth import Cat, Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .frame_format import (CRC_BYTES, FRAME_CRC, HEADER_BYTES, MAX_PAYLOAD, REQUEST_SYNC,
                           Status)

__all__ = ["FrameDecoder", "RequestHeader", "DecodeError", "check_max_payload"]


class RequestHeader(data.Struct):
    """What :attr:`FrameDecoder.frame` carries: the header of a good request frame."""
    opcode: 8
    seq: 8
    length: 16


class DecodeError(data.Struct):
    """What :attr:`FrameDecoder.error` carries: a :class:`Status` code and the frame's seq."""
    status: 8
    seq: 8


def check_max_payload(max_payload) -> int:
    """Validate a gateware maximum payload length: an integer from 1 to ``MAX_PAYLOAD``."""
    if not isinstance(max_payload, int) or isinstance(max_payload, bool) or \
            not 1 <= max_payload <= MAX_PAYLOAD:
        raise ValueError(f"max_payload must be an integer from 1 to {MAX_PAYLOAD} bytes, not "
                         f"{max_payload!r}")
    return max_payload


class FrameDecoder(wiring.Component):
    """Finds, checks and holds request frames arriving on ``i``.

    Every byte accepted on ``i`` goes into a circular buffer of ``buffer_depth`` bytes (the
    smallest power of two that holds a whole frame of ``max_payload`` bytes). A parser walks the
    buffer one byte per clock, hunting for ``REQUEST_SYNC``, then reading the header, the payload
    and the CRC, which it checks with an ``amaranth.lib.crc.Processor``. Nothing of a frame is
    offered before its CRC has matched.

    Events, one at a time; the parser stalls until the current one is acknowledged:

    - a good frame raises ``frame.valid`` with its opcode, seq and length. While ``frame.valid``
      is high, ``payload_data`` is payload byte ``payload_addr`` as presented on the previous
      cycle (a synchronous read, one cycle of latency; the first cycle of ``frame.valid`` shows no
      valid byte yet). ``frame.ready`` releases the frame and its buffer space.
    - a rejected frame raises ``error.valid`` with BAD_LENGTH (as soon as a length above
      ``max_payload`` has arrived), BAD_CRC (once the whole frame has arrived) or TIMEOUT, and the
      frame's seq (0 if a TIMEOUT came before the seq byte).

    After BAD_LENGTH or BAD_CRC the parser goes back to the byte after the rejected sync byte and
    hunts through the rejected frame's bytes again, exactly as ``FrameParser`` does. TIMEOUT:
    when the parser is inside a frame, has used up every byte received, and no byte has been
    accepted for ``timeout_cycles`` clocks, the partial frame is dropped (``FrameParser.expire``).

    Back-pressure, not loss: ``i.ready`` falls only when the buffer is full, which takes
    ``buffer_depth`` bytes that the parser could not get past, i.e. a good frame left
    unacknowledged while more than ``buffer_depth`` minus its own length further bytes arrive.
    A request/response host never does that. (``UARTReceiver`` has no FIFO, so a byte it offers
    while ``i.ready`` is low is lost there, as an overrun.)

    ``busy`` is high while the decoder is inside a frame or holds unparsed bytes or an event.

    Cost: one ``buffer_depth`` x 8 memory with one write and one read port (2 KiB, one ECP5
    DP16KD or four iCE40 block RAMs, at the default ``max_payload``); three pointers of
    ``log2(buffer_depth) + 1`` bits; a 16-bit CRC register with its XOR network; a timer of
    ``bits_for(timeout_cycles)`` bits; and a few header registers.

    Parameters
    ----------
    max_payload : int
        Longest payload accepted, 1 to ``MAX_PAYLOAD``; longer ones are BAD_LENGTH.
    timeout_cycles : int
        The inter-byte timeout in clocks (see ``frame_format.timeout_cycles``), at least 1.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD, *, timeout_cycles: int):
        self.max_payload = check_max_payload(max_payload)
        if not isinstance(timeout_cycles, int) or isinstance(timeout_cycles, bool) or \
                timeout_cycles < 1:
            raise ValueError(f"timeout_cycles must be a positive integer number of clocks, not "
                             f"{timeout_cycles!r}")
        self.timeout_cycles = timeout_cycles
        frame_bytes = HEADER_BYTES + max_payload + CRC_BYTES
        self.buffer_depth = 1 << (frame_bytes - 1).bit_length()
        super().__init__({
            "i": In(stream.Signature(8)),
            "frame": Out(stream.Signature(RequestHeader)),
            "payload_addr": In(range(max_payload)),
            "payload_data": Out(8),
            "error": Out(stream.Signature(DecodeError)),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        depth = self.buffer_depth
        addr_bits = depth.bit_length() - 1
        # Pointers carry one bit more than an address, so that full (tail - head == depth) and
        # empty (tail == head) differ. Bytes in [head, tail) are kept: head is the sync byte of
        # the frame being parsed (or equals scan while hunting), scan the next byte to parse.
        head = Signal(addr_bits + 1)
        scan = Signal(addr_bits + 1)
        tail = Signal(addr_bits + 1)
        head_next = Signal.like(head)
        scan_next = Signal.like(scan)
        m.d.comb += [head_next.eq(head), scan_next.eq(scan)]
        m.d.sync += [head.eq(head_next), scan.eq(scan_next)]

        m.submodules.buffer = buffer = Memory(shape=8, depth=depth, init=[])
        write = buffer.write_port()
        # Transparent, so that a byte written this cycle can be parsed on the next one.
        read = buffer.read_port(transparent_for=(write,))

        # Input: store every accepted byte.
        accept = Signal()
        m.d.comb += [
            self.i.ready.eq((tail - head)[:addr_bits + 1] != depth),
            accept.eq(self.i.valid & self.i.ready),
            write.addr.eq(tail[:addr_bits]),
            write.data.eq(self.i.payload),
            write.en.eq(accept),
        ]
        with m.If(accept):
            m.d.sync += tail.eq(tail + 1)

        # Clocks since the last accepted byte, saturating at timeout_cycles.
        quiet = Signal(range(self.timeout_cycles + 1))
        with m.If(accept):
            m.d.sync += quiet.eq(0)
        with m.Elif(quiet != self.timeout_cycles):
            m.d.sync += quiet.eq(quiet + 1)
        expired = Signal()
        m.d.comb += expired.eq((quiet == self.timeout_cycles) & (scan == tail))

        # The read port serves the parser, except while a good frame is held: then it serves
        # payload_addr. read_for_parser remembers whose address the data on the port answers.
        read_for_parser = Signal()
        parser_owns_read = Signal(init=1)
        m.d.sync += read_for_parser.eq(parser_owns_read)
        m.d.comb += read.addr.eq(scan_next[:addr_bits])
        byte = read.data
        have = Signal()
        m.d.comb += have.eq(read_for_parser & (scan != tail))
        m.d.comb += self.payload_data.eq(read.data)

        m.submodules.crc = crc = FRAME_CRC(data_width=8).create()
        m.d.comb += crc.data.eq(byte)

        opcode = Signal(8)
        seq = Signal(8)
        length = Signal(16)
        remaining = Signal(range(self.max_payload))
        crc_low = Signal(8)
        status = Signal(8)
        m.d.comb += [
            self.frame.payload.opcode.eq(opcode),
            self.frame.payload.seq.eq(seq),
            self.frame.payload.length.eq(length),
            self.error.payload.status.eq(status),
            self.error.payload.seq.eq(seq),
        ]

        def consume():
            m.d.comb += scan_next.eq(scan + 1)

        def reject(code):
            # Hunt again from the byte after the rejected sync byte.
            m.d.comb += [head_next.eq(head + 1), scan_next.eq(head + 1)]
            m.d.sync += status.eq(code)
            m.next = "ERROR"

        @contextmanager
        def frame_byte(next_state=None, *, crc_valid=True):
            """Body of a state that takes one byte of the frame, or times out waiting for it."""
            with m.If(have):
                consume()
                if crc_valid:
                    m.d.comb += crc.valid.eq(1)
                if next_state is not None:
                    m.next = next_state
                yield
            with m.Elif(expired):
                m.d.comb += head_next.eq(scan)  # drop the partial frame
                m.d.sync += status.eq(Status.TIMEOUT)
                m.next = "ERROR"

        with m.FSM() as fsm:
            with m.State("HUNT"):
                with m.If(have):
                    consume()
                    with m.If(byte == REQUEST_SYNC):
                        m.d.sync += seq.eq(0)  # a TIMEOUT before the seq byte reports 0
                        m.next = "OPCODE"
                    with m.Else():
                        m.d.comb += head_next.eq(scan + 1)  # skipped bytes need no keeping
            with m.State("OPCODE"):
                m.d.comb += crc.start.eq(1)
                with frame_byte("SEQ"):
                    m.d.sync += opcode.eq(byte)
            with m.State("SEQ"):
                with frame_byte("LENGTH_LOW"):
                    m.d.sync += seq.eq(byte)
            with m.State("LENGTH_LOW"):
                with frame_byte("LENGTH_HIGH"):
                    m.d.sync += length[:8].eq(byte)
            with m.State("LENGTH_HIGH"):
                full_length = Cat(length[:8], byte)
                with frame_byte():
                    m.d.sync += length[8:].eq(byte)
                    with m.If(full_length > self.max_payload):
                        reject(Status.BAD_LENGTH)
                    with m.Elif(full_length == 0):
                        m.next = "CRC_LOW"
                    with m.Else():
                        m.d.sync += remaining.eq(full_length - 1)
                        m.next = "PAYLOAD"
            with m.State("PAYLOAD"):
                with frame_byte():
                    m.d.sync += remaining.eq(remaining - 1)
                    with m.If(remaining == 0):
                        m.next = "CRC_LOW"
            with m.State("CRC_LOW"):
                with frame_byte("CRC_HIGH", crc_valid=False):
                    m.d.sync += crc_low.eq(byte)
            with m.State("CRC_HIGH"):
                # crc.crc is final: the last byte it took was at least a cycle ago.
                with frame_byte(crc_valid=False):
                    with m.If(Cat(crc_low, byte) == crc.crc):
                        m.next = "FRAME"
                    with m.Else():
                        reject(Status.BAD_CRC)
            with m.State("FRAME"):
                m.d.comb += [
                    self.frame.valid.eq(1),
                    parser_owns_read.eq(0),
                    read.addr.eq((head + HEADER_BYTES + self.payload_addr)[:addr_bits]),
                ]
                with m.If(self.frame.ready):
                    m.d.comb += head_next.eq(scan)  # free the frame's bytes
                    m.next = "HUNT"
            with m.State("ERROR"):
                m.d.comb += self.error.valid.eq(1)
                with m.If(self.error.ready):
                    m.next = "HUNT"
        # Inside a frame, or holding bytes or an event: the clock must run (the inter-byte
        # timeout counts clocks; a virtual board stops clocking an idle device).
        m.d.comb += self.busy.eq(~fsm.ongoing("HUNT") | (scan != tail))
        return m
