"""Host side of the framed serial protocol: encode frames, and parse a byte stream into frames.

The format is defined once, in :mod:`hw.protocol.frame_format`. :class:`FrameParser` is also the
software reference of the gateware :class:`hw.protocol.FrameDecoder`: fed the same bytes, it
reports the same frames and errors in the same order (the decoder's inter-byte timeout is
modelled by :meth:`FrameParser.expire`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bitspin.hw.protocol.frame_format import (CRC_BYTES, HEADER_BYTES, MAX_PAYLOAD, REQUEST_SYNC,
                                      RESPONSE_SYNC, Status, frame_crc)

__all__ = ["Frame", "FrameError", "FrameParser", "encode_frame", "encode_request",
           "encode_response"]

_SYNCS = (REQUEST_SYNC, RESPONSE_SYNC)


def _check_byte(name: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFF:
        raise ValueError(f"{name} must be an integer from 0 to 255, not {value!r}")
    return int(value)


def _check_sync(sync) -> int:
    if sync not in _SYNCS or isinstance(sync, bool):
        raise ValueError(f"sync must be REQUEST_SYNC (0x{REQUEST_SYNC:02X}) or RESPONSE_SYNC "
                         f"(0x{RESPONSE_SYNC:02X}), not {sync!r}")
    return int(sync)


def encode_frame(sync: int, code: int, seq: int, payload: bytes = b"") -> bytes:
    """The bytes of one frame: sync, code, seq, length (LE), payload, CRC (LE)."""
    sync = _check_sync(sync)
    code = _check_byte("code", code)
    seq = _check_byte("seq", seq)
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise ValueError(f"payload must be bytes, not {type(payload).__name__}")
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload is {len(payload)} bytes; a frame carries at most "
                         f"{MAX_PAYLOAD}")
    body = bytes([code, seq]) + len(payload).to_bytes(2, "little") + payload
    return bytes([sync]) + body + frame_crc(body).to_bytes(CRC_BYTES, "little")


def encode_request(opcode: int, seq: int, payload: bytes = b"") -> bytes:
    """A host-to-device frame."""
    return encode_frame(REQUEST_SYNC, opcode, seq, payload)


def encode_response(status: int, seq: int, payload: bytes = b"") -> bytes:
    """A device-to-host frame; ``status`` is a :class:`Status` (or its integer value)."""
    return encode_frame(RESPONSE_SYNC, status, seq, payload)


@dataclass(frozen=True)
class Frame:
    """A frame whose length and CRC checked out.

    ``code`` is the opcode of a request, or the status of a response (see :attr:`status`).
    """
    sync: int
    code: int
    seq: int
    payload: bytes = b""

    @property
    def is_request(self) -> bool:
        return self.sync == REQUEST_SYNC

    @property
    def status(self) -> Status | int:
        """The response status as a :class:`Status`, or the raw byte if it is not one."""
        try:
            return Status(self.code)
        except ValueError:
            return self.code

    def encode(self) -> bytes:
        return encode_frame(self.sync, self.code, self.seq, self.payload)


@dataclass(frozen=True)
class FrameError:
    """A rejected frame: an event that :meth:`FrameParser.feed` reports, not an exception.

    ``status`` is BAD_CRC, BAD_LENGTH or TIMEOUT; ``seq`` is the rejected frame's seq byte as
    received (0 if the frame stopped before its seq byte).
    """
    status: Status
    seq: int


class FrameParser:
    """Incremental frame parser: bytes in, :class:`Frame` and :class:`FrameError` events out.

    Rules (the gateware decoder follows the same ones):

    - bytes other than ``sync`` are skipped silently while hunting;
    - once the five header bytes are in, a length above ``max_payload`` is rejected with
      BAD_LENGTH, without waiting for a payload;
    - once the whole frame is in, a CRC mismatch is rejected with BAD_CRC;
    - after a rejection, hunting resumes at the byte after the rejected sync byte, so the bytes of
      a rejected frame are searched again for a sync byte;
    - a good frame is consumed whole, and hunting resumes after its CRC.

    The parser keeps no clock: the caller applies the inter-byte timeout by calling
    :meth:`expire` (which reports TIMEOUT, as the device does) or :meth:`reset` (silently).
    """

    def __init__(self, sync: int = REQUEST_SYNC, max_payload: int = MAX_PAYLOAD):
        self.sync = _check_sync(sync)
        if not isinstance(max_payload, int) or isinstance(max_payload, bool) or \
                not 1 <= max_payload <= MAX_PAYLOAD:
            raise ValueError(f"max_payload must be an integer from 1 to {MAX_PAYLOAD}, not "
                             f"{max_payload!r}")
        self.max_payload = max_payload
        self._buffer = bytearray()  # unparsed bytes; when not empty, it starts with a sync byte

    @property
    def in_frame(self) -> bool:
        """Whether a sync byte has been seen and its frame is not complete yet."""
        return bool(self._buffer)

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Parse ``data`` after whatever was fed before; return the events it completed."""
        buffer = self._buffer
        buffer += data
        events: list[Frame | FrameError] = []
        start = 0
        while True:
            start = buffer.find(self.sync, start)
            if start < 0:
                buffer.clear()
                break
            if len(buffer) - start < HEADER_BYTES:
                break
            seq = buffer[start + 2]
            length = int.from_bytes(buffer[start + 3:start + 5], "little")
            if length > self.max_payload:
                events.append(FrameError(Status.BAD_LENGTH, seq))
                start += 1
                continue
            end = start + HEADER_BYTES + length + CRC_BYTES
            if len(buffer) < end:
                break
            received = int.from_bytes(buffer[end - CRC_BYTES:end], "little")
            if frame_crc(buffer[start + 1:end - CRC_BYTES]) != received:
                events.append(FrameError(Status.BAD_CRC, seq))
                start += 1
                continue
            events.append(Frame(self.sync, buffer[start + 1], seq,
                                bytes(buffer[start + HEADER_BYTES:end - CRC_BYTES])))
            start = end
        if start > 0:
            del buffer[:start]
        return events

    def expire(self) -> list[FrameError]:
        """The inter-byte timeout ran out: drop a partial frame and report TIMEOUT for it.

        Returns ``[]`` when no frame was in progress. This is what the device's decoder does when
        the line stays quiet for its timeout.
        """
        if not self._buffer:
            return []
        seq = self._buffer[2] if len(self._buffer) > 2 else 0
        self._buffer.clear()
        return [FrameError(Status.TIMEOUT, seq)]

    def reset(self) -> None:
        """Drop a partial frame without reporting it."""
        self._buffer.clear()
