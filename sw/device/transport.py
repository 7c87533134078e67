"""Byte transports to a device: anything pyserial's ``serial_for_url`` opens.

A transport is deliberately narrow (write bytes, read up to n bytes with a timeout, drop pending
input, close) so that another link fits behind the same client: a PCIe MMIO transport, for
instance, would implement these four methods over a mapped BAR holding a request and a response
mailbox, and the frames, CRCs and registers above it would not change (see docs/protocol.md).
"""

from __future__ import annotations

from typing import Protocol

from bitspin.hw.protocol.frame_format import BUSY_BANNER

__all__ = ["Transport", "SerialTransport", "open_transport", "DEFAULT_BAUD"]

#: The UART rate of the device designs (3 Mbaud: 4 clocks per bit at 12 MHz, 16 at 48 MHz).
DEFAULT_BAUD = 3_000_000


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def read(self, size: int, timeout: float) -> bytes: ...
    def discard_input(self) -> None: ...
    def close(self) -> None: ...


class SerialTransport:
    """A pyserial port: ``/dev/ttyUSB1``, ``socket://host:port`` (the virtual board), ``loop://``."""

    def __init__(self, url: str, baud: int = DEFAULT_BAUD, timeout: float = 1.0):
        import serial
        try:
            # A serial port, like the virtual board, serves one client: a second gets "busy".
            local = "://" not in url
            self.port = serial.serial_for_url(url, baudrate=baud, timeout=timeout,
                                              **({"exclusive": True} if local else {}))
        except (serial.SerialException, ValueError) as error:
            raise ConnectionError(f"cannot open {url}: {error}") from None
        self.url = url
        self._tail = b""          # the last bytes read: a busy banner before a hang-up

    def _lost(self, what: str, error) -> ConnectionError:
        """The error for a link that failed: "busy" when the far end said so before closing."""
        if BUSY_BANNER in self._tail:
            return ConnectionError(f"{self.url} is busy: another client is connected (a device "
                                   "serves one client at a time, like a serial port in use)")
        return ConnectionError(f"{self.url}: {what} failed ({error})")

    def write(self, data: bytes) -> None:
        import serial
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as error:
            raise self._lost("write", error) from None

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes: what has arrived once the first byte is there, or none if
        ``timeout`` seconds pass first."""
        import serial
        try:
            # pyserial's read(size) waits until size bytes or the timeout: wait for the first
            # byte only, then take what has arrived (an answer is seldom 4096 bytes long, and
            # every request would otherwise cost the whole timeout).
            self.port.timeout = timeout
            data = bytes(self.port.read(1))
            if data and size > 1:
                self.port.timeout = 0
                data += bytes(self.port.read(size - 1))
        except (serial.SerialException, OSError) as error:
            raise self._lost("read", error) from None
        self._tail = (self._tail + data)[-2 * len(BUSY_BANNER):]
        if BUSY_BANNER in self._tail:
            raise self._lost("read", "busy")
        return data

    def discard_input(self) -> None:
        import serial
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError):
            pass

    def close(self) -> None:
        self.port.close()


def open_transport(url: str, baud: int = DEFAULT_BAUD, timeout: float = 1.0) -> SerialTransport:
    """Open ``url`` (a serial port path or any pyserial URL)."""
    if not isinstance(url, str) or not url:
        raise ValueError("a device URL is needed (a serial port, socket://HOST:PORT, or 'sim')")
    return SerialTransport(url, baud, timeout)
