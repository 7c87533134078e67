"""A connected device: its identity, its register map, and register access by name."""

from __future__ import annotations

import time

from bitspin.hw.device.identity import DeviceIdentity, IdentityError
from bitspin.hw.device.register_map import IDENTITY_BASE, IDENTITY_WORDS, MAGIC, PROTOCOL_VERSION

from .client import ProtocolClient
from .errors import DeviceError, IdentityMismatch, LinkError
from .transport import DEFAULT_BAUD, open_transport

__all__ = ["Device", "split_words", "join_words"]


def split_words(value: int, count: int) -> list[int]:
    """``value`` as ``count`` 32-bit register words, least significant first."""
    return [(value >> (32 * i)) & 0xFFFFFFFF for i in range(count)]


def join_words(words) -> int:
    """The integer held by 32-bit register ``words``, least significant first."""
    return sum(int(w) << (32 * i) for i, w in enumerate(words))


class Device:
    """A bitspin device on any transport; use :meth:`open`.

    On opening, the device's magic, protocol version and identity JSON are read; the register
    map is rebuilt from the core parameters in the identity, so host and gateware agree on every
    address by construction (both call :func:`hw.device.register_map.device_register_map`).
    Then any job in flight is aborted and every output FIFO emptied (:meth:`abort`).
    """

    def __init__(self, client: ProtocolClient, url: str = "?"):
        self.client, self.url = client, url
        magic = client.read(0, 2)
        if magic[0] != MAGIC:
            raise DeviceError(f"{url} is not a bitspin device (magic {magic[0]:#010x})")
        if magic[1] != PROTOCOL_VERSION:
            raise DeviceError(f"{url} speaks register-map version {magic[1]}, this host "
                              f"{PROTOCOL_VERSION}: update the bitstream or the host")
        length = client.read(2, 1)[0]
        if not 1 <= length <= 4 * IDENTITY_WORDS:
            raise DeviceError(f"{url}: the device reports an identity of {length} bytes; a "
                              f"bitspin device has 1 to {4 * IDENTITY_WORDS}")
        words = client.read(IDENTITY_BASE, -(-length // 4))
        raw = b"".join(w.to_bytes(4, "little") for w in words)[:length]
        try:
            self.identity = DeviceIdentity.from_json(raw)
        except IdentityError as error:
            raise DeviceError(f"{url}: the identity block is unreadable: {error}") from None
        self.registers = self.identity.register_map()
        self.abort()

    def abort(self) -> None:
        """Stop any job in flight and empty every output FIFO (ABORT): whatever an interrupted
        client left behind can never be read as this session's results. Done on opening."""
        self.client.write(self.registers.address("ABORT"), [1])

    @classmethod
    def open(cls, url: str, baud: int = DEFAULT_BAUD, timeout: float = 1.0,
             retries: int = 3) -> Device:
        """Connect to ``url``: a serial port, ``socket://HOST:PORT`` or any pyserial URL."""
        transport = open_transport(url, baud, timeout)
        try:
            return cls(ProtocolClient(transport, timeout, retries), url)
        except Exception:
            transport.close()
            raise

    # Registers by name ---------------------------------------------------------------------

    def read(self, name: str, index: int = 0) -> int:
        return self.client.read(self.registers.address(name, index), 1)[0]

    def read_all(self, name: str) -> list[int]:
        """Every word of a multi-word register."""
        r = self.registers[name]
        return self.client.read(r.address, r.count)

    def write(self, name: str, value: int, index: int = 0, *, idempotent: bool = True) -> None:
        self.client.write(self.registers.address(name, index), [value], idempotent=idempotent)

    def write_all(self, name: str, values, *, idempotent: bool = True) -> None:
        r = self.registers[name]
        values = list(values)
        if len(values) > r.count:
            raise ValueError(f"{name} has {r.count} words, not {len(values)}")
        self.client.write(r.address, values, idempotent=idempotent)

    def pop(self, name: str, count: int) -> list[int]:
        """``count`` words from a FIFO port (never repeated: a lost answer raises)."""
        try:
            return self.client.read(self.registers.address(name), count, fixed=True,
                                    idempotent=False)
        except LinkError as error:
            raise LinkError(f"reading {name}: {error}. Words taken from a FIFO cannot be read "
                            f"again, so this job's output is incomplete: run the job again") \
                from None

    def push(self, name: str, words) -> None:
        self.client.write(self.registers.address(name), words, fixed=True, idempotent=False)

    def wait_for(self, name: str, mask: int, value: int, timeout: float, what: str) -> None:
        """Poll register ``name`` until ``reg & mask == value``; DeviceError naming ``what``
        after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.read(name) & mask != value:
            if time.monotonic() > deadline:
                raise DeviceError(f"{what} after {timeout:g} s")
            time.sleep(0.0005)

    def cycles(self) -> int:
        """The device's free-running cycle counter (one consistent 64-bit read)."""
        low, high = self.client.read(self.registers.address("CYCLES_LO"), 2)
        return low | high << 32

    @property
    def virtual(self) -> bool:
        """A virtual board (the device simulated by Verilator), not an FPGA."""
        return self.identity.virtual

    @property
    def clock_hz(self) -> int:
        return self.identity.clock_hz

    def core(self, name: str):
        """Core ``name``'s identity (``IsingParams`` for ``ising``, ``GanIdentity`` for
        ``gan``), or IdentityMismatch naming what the device has."""
        cores = self.identity.cores
        if name not in cores:
            raise IdentityMismatch(f"the device at {self.url} ({self.identity.design}) "
                                   f"has no {name} core; it has: {', '.join(cores) or 'none'}")
        return self.identity.ising if name == "ising" else self.identity.gan

    def close(self) -> None:
        self.client.transport.close()

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
