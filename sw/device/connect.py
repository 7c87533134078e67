"""``--device URL`` for every command: a real port, a running virtual board, or ``sim``.

A serial port may carry its rate after ``@`` (``/dev/ttyUSB1@1000000``); the default is 3 Mbaud.

``sim`` builds and starts a virtual board (``bitspin.sim.virtual_board``) carrying exactly the cores the
command needs, reuses it for the rest of the process (a temperature sweep opens it once), and
shuts it down when the process exits.
"""

from __future__ import annotations

import atexit

from .device import Device

__all__ = ["open_device", "split_baud", "check_socket_url", "SIM_URL"]

SIM_URL = "sim"
_boards: dict = {}


def _close_boards() -> None:
    for board in _boards.values():
        board.close()
    _boards.clear()


def _sim_url(ising, gan_engine) -> str:
    key = (ising, gan_engine)
    if key not in _boards:
        # The simulator lives in the sim package; it is imported only when asked for.
        from bitspin.sim.virtual_board.devices import start_device
        if not _boards:
            atexit.register(_close_boards)
        image = None
        if gan_engine is not None:
            from bitspin.sw.gan.engine_configs import engine_image
            image = engine_image(gan_engine)
        _boards[key] = start_device(ising=ising, gan_engine=gan_engine, gan_image=image)
    return _boards[key].url


def open_device(url: str | None, *, ising=None, gan_engine: str | None = None,
                timeout: float = 2.0) -> Device:
    """Open ``url``; for ``sim``, a virtual board with an Ising core of ``ising``
    (IsingParams) and/or the GAN engine configuration ``gan_engine``."""
    if url is None:
        raise ValueError("the device backend needs --device URL: 'sim' (a virtual board), "
                         "socket://HOST:PORT or a serial port such as /dev/ttyUSB1")
    if url == SIM_URL:
        url = _sim_url(ising, gan_engine)
    url, baud = split_baud(url)
    check_socket_url(url)
    return Device.open(url, baud=baud, timeout=timeout)


def check_socket_url(url: str) -> None:
    """A ``socket://`` URL must name a host and a port from 1 to 65535 (pyserial's own messages
    for these are about log levels and None comparisons)."""
    if not url.startswith("socket://"):
        return
    rest = url[len("socket://"):]
    host, sep, port = rest.split("/")[0].split("?")[0].rpartition(":")
    if not sep or not host:
        raise ValueError(f"bad device URL {url!r}: write socket://HOST:PORT, e.g. "
                         "socket://127.0.0.1:7000")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"bad device URL {url!r}: the port must be a number from 1 to 65535, "
                         f"not {port!r}")


def split_baud(url: str) -> tuple[str, int]:
    """``/dev/ttyUSB1@1000000`` → (``/dev/ttyUSB1``, 1000000); without ``@`` the default rate."""
    from .transport import DEFAULT_BAUD
    base, sep, rate = url.rpartition("@")
    if not sep:
        return url, DEFAULT_BAUD
    if not rate.isdigit() or int(rate) <= 0:
        raise ValueError(f"bad baud rate in {url!r}: write PORT@RATE with a positive rate, "
                         "e.g. /dev/ttyUSB1@1000000")
    return base, int(rate)
