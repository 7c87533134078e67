"""The worker side of the farm: each Dask worker owns one device, named by its URL.

A worker announces its board in two ways:

- in a cluster the farm starts itself, :class:`DeviceMap` (a worker plugin) gives worker ``i``
  the ``i``-th URL, so a worker restarted by its nanny gets the same device back;
- on another host, the worker is started with this module as a preload and the URL as its
  option, plus the ``board`` resource so that only board-owning workers receive tasks::

      dask worker tcp://HOST:8786 --nthreads 1 --resources board=1 \\
          --preload bitspin.sw.farm.workers --bitspin-device /dev/ttyUSB1

A worker runs one task at a time (one thread): a device serves one job at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import click
from distributed import WorkerPlugin, get_worker

__all__ = ["BOARD_RESOURCE", "DeviceMap", "Attempt", "attempt", "worker_device", "probe",
           "dask_setup"]

BOARD_RESOURCE = "board"
_ATTRIBUTE = "bitspin_device"


class DeviceMap(WorkerPlugin):
    """Worker plugin: worker name → device URL (for workers the farm starts itself)."""

    name = "bitspin-devices"

    def __init__(self, urls: dict):
        self.urls = dict(urls)

    def setup(self, worker) -> None:
        if worker.name in self.urls:
            setattr(worker, _ATTRIBUTE, self.urls[worker.name])


@click.command()
@click.option("--bitspin-device", required=True, metavar="URL",
              help="the device this worker owns: a serial port or socket://HOST:PORT")
def dask_setup(worker, bitspin_device: str) -> None:
    """``dask worker --preload bitspin.sw.farm.workers --bitspin-device URL``."""
    setattr(worker, _ATTRIBUTE, bitspin_device)


def worker_device(dask_worker=None) -> str | None:
    """The URL of the device that this worker owns (None: it owns none)."""
    worker = dask_worker if dask_worker is not None else get_worker()
    return getattr(worker, _ATTRIBUTE, None)


@dataclass
class Attempt:
    """What one try of a task gave: its value or its error, and where and how long it ran."""

    device: str | None
    value: Any = None
    error: str | None = None
    unsuitable: bool = False
    elapsed_s: float = 0.0


def attempt(job: Callable, *args) -> Attempt:
    """Run ``job(device_url, *args)`` on this worker's device.

    Errors come back as values, so the driver knows which device failed and why; an
    :class:`IdentityMismatch` (a board built for something else) marks the device unsuitable.
    """
    from bitspin.sw.device.errors import IdentityMismatch
    url = worker_device()
    start = time.monotonic()
    if url is None:
        return Attempt(None, error="this Dask worker owns no device (start it with --preload "
                                   "bitspin.sw.farm.workers --bitspin-device URL)",
                       unsuitable=True)
    try:
        value = job(url, *args)
    except Exception as error:  # reported to the driver, which retries elsewhere or stops
        return Attempt(url, error=f"{type(error).__name__}: {error}",
                       unsuitable=isinstance(error, IdentityMismatch),
                       elapsed_s=time.monotonic() - start)
    return Attempt(url, value=value, elapsed_s=time.monotonic() - start)


def probe(url: str) -> dict:
    """Open the device once and describe it (the farm checks every board before it starts)."""
    from bitspin.sw.device.connect import check_socket_url, split_baud
    from bitspin.sw.device.device import Device
    base, baud = split_baud(url)
    check_socket_url(base)
    with Device.open(base, baud=baud) as device:
        identity = device.identity
        ising = identity.ising
        return {"design": identity.design, "virtual": identity.virtual,
                "clock_hz": identity.clock_hz,
                "ising": None if ising is None else {"size": ising.size, "lanes": ising.lanes,
                                                     "k": ising.k}}
