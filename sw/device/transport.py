"""Byte transports to a device: anything pyserial's ``serial_for_url`` opens.

A transport is deliberately narrow (write bytes, read up to n bytes with a timeout, drop pending
input, close) so that another link fits behind the same client: a PCIe MMIO transport, for
instance, would implement these four methods over a mapped BAR holding a request and a response
mailbox, and the frames, CRCs and registers above it would not change (see docs/protocol.md).
"""

from __future__ import annotations

from typing import Protocol

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
            self.port = serial.serial_for_url(url, baudrate=baud, timeout=timeout)
        except (serial.SerialException, ValueError) as error:
            raise ConnectionError(f"cannot open {url}: {error}") from None
        self.url = url

    def write(self, data: bytes) -> None:
        import serial
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as error:
            raise ConnectionError(f"{self.url}: write failed ({error})") from None

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes; fewer (maybe none) if ``timeout`` seconds pass first."""
        import serial
        try:
            self.port.timeout = timeout
            return bytes(self.port.read(size))
        except (serial.SerialException, OSError) as error:
            raise ConnectionError(f"{self.url}: read failed ({error})") from None

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
