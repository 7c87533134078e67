"""The serial transport: a read returns what has arrived, without waiting out its timeout."""

import threading
import time

from bitspin.sw.device.transport import open_transport


def test_a_read_returns_as_soon_as_bytes_arrive():
    # pyserial's read(n) waits for n bytes or the timeout; the host asks for 4096 and gets
    # answers of a few bytes, so a read that waited would cost every request its whole timeout.
    transport = open_transport("loop://", timeout=1.0)
    try:
        transport.write(b"answer")
        started = time.monotonic()
        data = transport.read(4096, 2.0)
        assert data == b"answer"
        assert time.monotonic() - started < 1.0
    finally:
        transport.close()


def test_a_read_waits_for_the_first_byte_and_times_out_empty():
    transport = open_transport("loop://", timeout=1.0)
    try:
        started = time.monotonic()
        assert transport.read(16, 0.2) == b""
        assert time.monotonic() - started >= 0.15
        threading.Timer(0.1, transport.write, [b"late"]).start()
        assert transport.read(16, 2.0) == b"late"
    finally:
        transport.close()
