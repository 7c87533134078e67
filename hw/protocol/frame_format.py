"""The framed serial protocol: the one definition of its bytes, used by gateware and host alike.

Every frame, in either direction, is::

    sync | code | seq | length (u16 LE) | payload (length bytes) | CRC (u16 LE)

- ``sync`` is :data:`REQUEST_SYNC` (0x5A) from host to device and :data:`RESPONSE_SYNC` (0xA5)
  from device to host, so a frame echoed by a loop-back is never taken for its own answer;
- ``code`` is an opcode in a request and a :class:`Status` in a response;
- ``seq`` is chosen by the host for each request (it increments and wraps) and echoed by the
  response to a frame read intact; a rejection's is :data:`REJECTION_SEQ` (it names no request);
- ``length`` is at most :data:`MAX_PAYLOAD`;
- the CRC is :data:`FRAME_CRC` (CRC-16/CCITT-FALSE) over ``code``, ``seq``, ``length`` and the
  payload, that is every byte but the sync byte and the CRC itself.

A receiver hunts for the sync byte, and rejects a frame whose length exceeds its maximum payload
(:attr:`Status.BAD_LENGTH`) or whose CRC does not match (:attr:`Status.BAD_CRC`). After a
rejection it hunts again from the byte after the rejected sync byte, so that a real frame hidden
behind a stray sync byte is still found. Inside a frame, a gap of more than the inter-byte timeout
(:data:`DEFAULT_TIMEOUT_US`) drops the partial frame (:attr:`Status.TIMEOUT`).

This module is pure Python: it imports only Amaranth's CRC catalogue, whose parameters
``amaranth.lib.crc.Processor`` builds into gateware. The host computes the same CRC with the
standard library's table-driven C code (``binascii.crc_hqx`` is CRC-16 with polynomial 0x1021 and
no reflection, from a given initial value), about a hundred times faster than the catalogue's
bit-by-bit software reference; a test checks that the two agree.
"""

from __future__ import annotations

import binascii
import enum

from amaranth.lib.crc import catalog as _crc_catalog

__all__ = ["REQUEST_SYNC", "RESPONSE_SYNC", "HEADER_BYTES", "CRC_BYTES", "MAX_PAYLOAD",
           "MAX_FRAME_BYTES", "DEFAULT_TIMEOUT_US", "BUSY_BANNER", "REJECTION_SEQ", "FRAME_CRC", "Status",
           "frame_crc", "timeout_cycles"]

REQUEST_SYNC = 0x5A   # host -> device
RESPONSE_SYNC = 0xA5  # device -> host

HEADER_BYTES = 5      # sync, code, seq, length low byte, length high byte
CRC_BYTES = 2
MAX_PAYLOAD = 1024    # the largest payload length any receiver accepts
MAX_FRAME_BYTES = HEADER_BYTES + MAX_PAYLOAD + CRC_BYTES

# Longest silence allowed between two bytes of one frame. At 115200 baud a byte takes 87 us, so
# 2 ms is over 20 byte times: a host writing a frame in one call never comes near it, while a
# frame cut off by a host crash or a cable pull is dropped long before a person notices.
DEFAULT_TIMEOUT_US = 2000

#: The CRC algorithm of every frame: CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF,
#: no reflection, no final XOR; check value 0x29B1 for b"123456789").
FRAME_CRC = _crc_catalog.CRC16_CCITT_FALSE


#: What an endpoint that serves one client at a time (the virtual board) answers a second
#: client with; a host that reads it says that the device is in use. It has no sync byte, so a
#: frame parser skips it as noise.
BUSY_BANNER = b"bitspin: busy: another client is connected\n"


#: The ``seq`` byte of every rejection (BAD_CRC, BAD_LENGTH, TIMEOUT). A rejected header failed
#: its integrity check, so its seq byte names nothing (a stray sync byte before a request turns
#: the request's opcode into it): a rejection names no request, and a host treats the fate of
#: whatever it sent as unknown. Only replies to frames read intact carry the request's seq.
REJECTION_SEQ = 0x00


class Status(enum.IntEnum):
    """The ``code`` byte of a response."""
    OK = 0x00
    BAD_CRC = 0x01         # the frame's CRC did not match
    BAD_LENGTH = 0x02      # the length field exceeded the receiver's maximum payload
    TIMEOUT = 0x03         # the frame stopped for longer than the inter-byte timeout
    UNKNOWN_OPCODE = 0x04
    BAD_ARGUMENT = 0x05
    BUSY = 0x06


def frame_crc(data: bytes) -> int:
    """The frame CRC of ``data`` (the bytes from ``code`` through the end of the payload)."""
    return binascii.crc_hqx(data, 0xFFFF)


def timeout_cycles(clk_freq: float, timeout_us: float = DEFAULT_TIMEOUT_US) -> int:
    """The inter-byte timeout in cycles of a ``clk_freq`` Hz clock (rounded up, at least 1)."""
    if not isinstance(clk_freq, (int, float)) or isinstance(clk_freq, bool) or not clk_freq > 0:
        raise ValueError(f"clock frequency must be a positive number of Hz, not {clk_freq!r}")
    if not isinstance(timeout_us, (int, float)) or isinstance(timeout_us, bool) or \
            not timeout_us > 0:
        raise ValueError(f"timeout must be a positive number of microseconds, not {timeout_us!r}")
    cycles = -(-round(clk_freq * timeout_us) // 1_000_000)  # ceiling without float rounding
    return max(1, int(cycles))
