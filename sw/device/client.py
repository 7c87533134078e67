"""The protocol client: requests with sequence numbers, timeouts, bounded retries, typed errors."""

from __future__ import annotations

import struct
import time

from bitspin.hw.device.register_map import MAX_WORDS, READ_FLAG_FIXED, Opcode
from bitspin.hw.protocol.frame_format import MAX_PAYLOAD, RESPONSE_SYNC, Status

from .errors import DeviceRejected, LinkError
from .frames import Frame, FrameError, FrameParser, encode_request

__all__ = ["ProtocolClient"]

# Replies to frames the device rejected before reading them (bad CRC, bad length, timeout). Their
# header failed its check, so they name no request (their seq is REJECTION_SEQ) and are never
# matched to one: the fate of what the client sent is unknown.
_REJECTION = (Status.BAD_CRC, Status.BAD_LENGTH, Status.TIMEOUT)

#: After a rejection, how long (as a share of the timeout, at least 0.1 s) the client still waits
#: for its own answer: when the rejected bytes were noise before the request, the device hunts
#: again from the byte after that sync and answers the request within a few frame times.
REJECTION_GRACE = 0.25


class ProtocolClient:
    """Sends requests and returns the payload of their OK response.

    A response is matched to its request by the sequence number, and only a response to a frame
    the device read intact (OK, BUSY, UNKNOWN_OPCODE, BAD_ARGUMENT) carries a sequence number
    worth matching: a rejection (bad CRC, bad length, timeout) may name any byte, so it only
    tells the client that some frame was dropped. When no answer comes (lost, corrupted, or
    the request itself rejected), the request's fate is unknown: it is sent again (up to
    ``retries`` more times) only if ``idempotent``; otherwise :class:`LinkError` says so and
    nothing is repeated (see docs/protocol.md).
    """

    def __init__(self, transport, timeout: float = 1.0, retries: int = 3):
        if timeout <= 0 or retries < 0:
            raise ValueError("timeout must be positive and retries non-negative")
        self.transport, self.timeout, self.retries = transport, timeout, retries
        self.seq = 0
        self.parser = FrameParser(sync=RESPONSE_SYNC)
        self.stats = {"requests": 0, "retries": 0, "bytes_out": 0, "bytes_in": 0,
                      "rejections": 0}

    def request(self, opcode: int, payload: bytes = b"", *, idempotent: bool = True) -> bytes:
        last_problem = "no answer"
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats["retries"] += 1
                self._drain()
            # 1 … 255: never REJECTION_SEQ, so not even a careless reader could match one.
            self.seq = self.seq % 255 + 1
            frame = encode_request(opcode, self.seq, payload)
            self.transport.write(frame)
            self.stats["requests"] += 1
            self.stats["bytes_out"] += len(frame)
            answer, problem = self._await(self.seq)
            if answer is not None:
                status = answer.code
                if status == Status.OK:
                    return answer.payload
                if status == Status.BUSY:       # read intact and refused: nothing ran
                    last_problem = "the device was busy"
                    time.sleep(0.01)
                    continue
                name = Status(status).name if status in Status._value2member_map_ else status
                raise DeviceRejected(f"the device answered {name} to opcode {opcode:#04x}",
                                     status)
            last_problem = problem
            if not idempotent:
                raise LinkError(f"{problem} to a request with side effects (opcode "
                                f"{opcode:#04x}); it may or may not have run, so it was not "
                                f"repeated")
        raise LinkError(f"no valid answer after {self.retries + 1} attempts: {last_problem}")

    def _await(self, seq: int) -> tuple[Frame | None, str]:
        """The response frame with ``seq``, or (None, why) after the timeout (shortened to the
        rejection grace once the device has rejected a frame)."""
        deadline = time.monotonic() + self.timeout
        problem = f"no answer within {self.timeout:g} s"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.parser.reset()
                return None, problem
            data = self.transport.read(4096, min(left, 0.05))
            self.stats["bytes_in"] += len(data)
            events = self.parser.feed(data) if data else []
            for event in events:
                if isinstance(event, FrameError):
                    problem = f"a corrupted answer ({event})"
                elif event.code in _REJECTION:
                    self.stats["rejections"] += 1
                    problem = f"the device rejected a frame ({Status(event.code).name})"
                    grace = max(0.1, REJECTION_GRACE * self.timeout)
                    deadline = min(deadline, time.monotonic() + grace)
                elif event.seq == seq:
                    return event, ""
            # frames with another seq are late answers to abandoned attempts: dropped

    def _drain(self) -> None:
        """Wait out any late bytes of an abandoned exchange, then forget them."""
        while self.transport.read(4096, 0.02):
            pass
        self.transport.discard_input()
        self.parser.reset()

    # Registers -----------------------------------------------------------------------------

    def read(self, address: int, count: int, *, fixed: bool = False,
             idempotent: bool = True) -> list[int]:
        """``count`` 32-bit registers from ``address`` (or ``count`` reads of one if ``fixed``)."""
        words = []
        while len(words) < count:
            n = min(MAX_WORDS, count - len(words))
            start = address if fixed else address + len(words)
            payload = struct.pack("<HHB", start, n, READ_FLAG_FIXED if fixed else 0)
            answer = self.request(Opcode.READ, payload, idempotent=idempotent)
            if len(answer) != 4 * n:
                raise LinkError(f"READ of {n} words answered {len(answer)} bytes")
            words.extend(struct.unpack(f"<{n}I", answer))
        return words

    def write(self, address: int, words, *, fixed: bool = False,
              idempotent: bool = True) -> None:
        """Write 32-bit ``words`` from ``address`` (all to ``address`` if ``fixed``)."""
        words = [int(w) & 0xFFFFFFFF for w in words]
        done = 0
        while done < len(words):
            chunk = words[done:done + MAX_WORDS]
            start = address if fixed else address + done
            payload = struct.pack("<HB", start, READ_FLAG_FIXED if fixed else 0) + \
                struct.pack(f"<{len(chunk)}I", *chunk)
            self.request(Opcode.WRITE, payload, idempotent=idempotent)
            done += len(chunk)

    def ping(self, payload: bytes = b"bitspin") -> float:
        """Round-trip time in seconds of a PING, whose echo is checked."""
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"a PING carries at most {MAX_PAYLOAD} bytes")
        start = time.perf_counter()
        answer = self.request(Opcode.PING, payload)
        if answer != payload:
            raise LinkError("PING echo differs from what was sent")
        return time.perf_counter() - start
