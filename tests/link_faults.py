"""A fault-injecting link between a host client and a device: one fault, on one request or on
its answer, at a chosen position of a whole session.

:class:`FaultyLink` wraps a transport (the four methods of ``sw/device/transport.py``) and counts
the requests written through it (each ``write`` of the client is one whole frame). At request
number ``at`` (or at the first request described as ``at``, e.g. ``"WRITE 0x1000 =4"``: opcode,
register address and, for a write, its first word) it injects ``kind``:

- on the request: ``flip`` (one bit of one byte), ``stray sync`` (a sync byte before it),
  ``truncate`` (only a prefix is sent), ``drop`` (nothing is sent), ``gap`` (sent in two parts
  with a pause longer than the device's inter-byte timeout between them), ``duplicate`` (sent
  twice, as a link that retransmits would);
- on the answer: ``drop answer`` (the bytes the device sends back until the client's next
  request are swallowed), ``flip answer`` (one bit of them), ``duplicate answer`` (they arrive
  again after the client's next request), ``delay answer`` (they arrive only after the client
  has given up and written its next request).

``hit`` records what the faulted request was (opcode and register address), so a campaign can
report which kinds of request it struck.
"""

from __future__ import annotations

import struct
import time

from bitspin.hw.protocol.frame_format import HEADER_BYTES, REQUEST_SYNC

REQUEST_FAULTS = ("flip", "stray sync", "truncate", "drop", "gap", "duplicate")
ANSWER_FAULTS = ("drop answer", "flip answer", "duplicate answer", "delay answer")
KINDS = REQUEST_FAULTS + ANSWER_FAULTS

#: Longer than the inter-byte timeout of any device here (2 ms of device clock; the virtual
#: board's clock runs slower than a real board's, never slower than 10 kHz).
GAP_S = 0.3


class FaultyLink:
    """A transport that injects ``kind`` at request number ``at`` (0 = the first) or at the
    first request that :func:`describe` names ``at``."""

    def __init__(self, inner, rng, kind: str, at: int | str):
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        self.inner, self.rng, self.kind, self.at = inner, rng, kind, at
        self.requests = 0
        self.hit: str | None = None
        self._answer = False          # the answer to the faulted request is being read
        self._held = b""              # answer bytes to deliver after the next request
        self._pending = b""           # bytes to hand to the client before the device's

    def write(self, data: bytes) -> None:
        index, self.requests = self.requests, self.requests + 1
        if self._answer:              # the client moved on: the faulted answer is over
            self._answer = False
            self._pending += self._held
            self._held = b""
        if self.hit is not None or index != self.at and describe(data) != self.at:
            self.inner.write(data)
            return
        self.hit = describe(data)
        kind, data = self.kind, bytearray(data)
        at = int(self.rng.integers(1, len(data)))
        if kind == "flip":
            data[at] ^= 1 << int(self.rng.integers(8))
        elif kind == "stray sync":
            data = bytes([REQUEST_SYNC]) + data
        elif kind == "truncate":
            data = data[:at]
        elif kind == "drop":
            data = b""
        elif kind == "gap":
            self.inner.write(bytes(data[:at]))
            time.sleep(GAP_S)
            data = data[at:]
        elif kind == "duplicate":
            data = bytes(data) + bytes(data)
        else:
            self._answer = True
        if data:
            self.inner.write(bytes(data))

    def read(self, size: int, timeout: float) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        data = self.inner.read(size, timeout)
        if not self._answer or not data:
            return data
        if self.kind == "flip answer":
            self._answer = False
            data = bytearray(data)
            data[int(self.rng.integers(len(data)))] ^= 1 << int(self.rng.integers(8))
            return bytes(data)
        if self.kind == "duplicate answer":
            self._held += data
            return data
        # drop answer: swallowed; delay answer: held until the client writes again.
        if self.kind == "delay answer":
            self._held += data
        return b""

    def discard_input(self) -> None:
        self._pending = b""
        self.inner.discard_input()

    def close(self) -> None:
        self.inner.close()


def describe(frame: bytes) -> str:
    """A request frame as 'READ 0x1006' or 'WRITE 0x1000 =4' (opcode name, register address,
    a write's first word)."""
    from bitspin.hw.device.register_map import Opcode
    if len(frame) < HEADER_BYTES:
        return "?"
    code = frame[1]
    name = Opcode(code).name if code in Opcode._value2member_map_ else f"opcode {code:#04x}"
    if code in (Opcode.READ, Opcode.WRITE) and len(frame) >= HEADER_BYTES + 2:
        name += f" {struct.unpack_from('<H', frame, HEADER_BYTES)[0]:#06x}"
    if code == Opcode.WRITE and len(frame) >= HEADER_BYTES + 7:
        name += f" ={struct.unpack_from('<I', frame, HEADER_BYTES + 3)[0]}"
    return name
