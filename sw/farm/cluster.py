"""The farm's Dask cluster and the boards its workers own.

Without a scheduler address, :class:`Farm` starts a local cluster of process workers, one per
device URL, each with one thread and the ``board`` resource. With ``scheduler``, it joins a
running cluster and uses the workers that announce a device (see :mod:`.workers`). Either way
it opens every board once before any task runs, so a bad URL is reported at the start.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from .workers import BOARD_RESOURCE, DeviceMap, probe, worker_device

__all__ = ["Farm", "FarmError", "virtual_boards"]


class FarmError(Exception):
    """The farm cannot go on: a bad device list, no usable board, or every board failed."""


def _check_urls(urls: list[str]) -> None:
    from bitspin.sw.device.connect import SIM_URL, check_socket_url, split_baud
    if not urls:
        raise FarmError("the farm needs at least one device")
    repeated = sorted({url for url in urls if urls.count(url) > 1})
    if repeated:
        raise FarmError(f"device listed twice: {', '.join(repeated)} (one worker per device)")
    for url in urls:
        if url == SIM_URL:
            raise FarmError("'sim' is one virtual board per command; for a farm of virtual "
                            "boards use --virtual-boards N")
        base, _ = split_baud(url)
        check_socket_url(base)


class Farm:
    """A Dask client and the devices its workers own; use as a context manager.

    Parameters
    ----------
    devices
        Device URLs (serial ports, ``socket://HOST:PORT``): a local cluster with one worker each.
    scheduler
        ``tcp://HOST:PORT`` of a running cluster whose workers own the devices instead.
    log
        ``log(line)`` for what the farm does (starting, a device taken out, ...).

    Attributes
    ----------
    client : distributed.Client
    boards : dict
        Worker address → device URL, for the devices that passed the opening check.
    descriptions : dict
        Device URL → what its identity says (design, clock, Ising parameters).
    out : set
        The devices taken out of the pool.
    """

    def __init__(self, devices: list[str] | None = None, *, scheduler: str | None = None,
                 log=None):
        if (devices is None) == (scheduler is None):
            raise FarmError("give either device URLs or the address of a Dask scheduler whose "
                            "workers own the devices")
        if devices is not None:
            devices = list(devices)
            _check_urls(devices)
        self.devices, self.scheduler = devices, scheduler
        self.log = log or (lambda line: None)
        self.client = self.cluster = None
        self.boards: dict[str, str] = {}
        self.descriptions: dict[str, dict] = {}
        self.out: set[str] = set()

    def __enter__(self) -> Farm:
        try:
            self._start()
            self._check_boards()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        import dask
        from distributed import Client, LocalCluster
        if self.scheduler is not None:
            self.log(f"joining the Dask cluster at {self.scheduler}")
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError) as error:
                raise FarmError(f"cannot reach the Dask scheduler {self.scheduler}: {error}") \
                    from None
        else:
            self.log(f"starting a local Dask cluster: {len(self.devices)} workers, one per device")
            # A worker that dies fails its task at once: the farm, not Dask, decides where the
            # task runs again (on another device) and counts the retry.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self.cluster = LocalCluster(
                    n_workers=len(self.devices), threads_per_worker=1, processes=True,
                    resources={BOARD_RESOURCE: 1}, dashboard_address=None,
                    # No dashboard; its HTTP server then takes any free port, not 8787.
                    scheduler_kwargs={"dashboard_address": ":0"},
                    silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
            self.client.register_plugin(DeviceMap(dict(enumerate(self.devices))))
        owned = self.client.run(worker_device)
        self.boards = {address: url for address, url in owned.items() if url is not None}
        if not self.boards:
            raise FarmError(f"no worker of {self.scheduler} owns a device: start workers with "
                            "--resources board=1 --preload bitspin.sw.farm.workers "
                            "--bitspin-device URL")

    def _check_boards(self) -> None:
        from distributed import wait
        futures = {address: self.client.submit(probe, url, workers=[address], pure=False,
                                               resources={BOARD_RESOURCE: 1})
                   for address, url in self.boards.items()}
        wait(list(futures.values()))
        bad = []
        for address, future in futures.items():
            url = self.boards[address]
            if future.status == "finished":
                self.descriptions[url] = future.result()
            else:
                error = future.exception()
                bad.append(f"{url}: {type(error).__name__}: {error}")
        if bad:
            raise FarmError("cannot open " + ("these devices" if len(bad) > 1 else "a device")
                            + ":\n  " + "\n  ".join(bad))
        self.log(f"{len(self.boards)} device(s) ready: {', '.join(sorted(self.boards.values()))}")

    def refresh(self) -> None:
        """Find the workers again: a worker that died and was restarted by its nanny has a new
        address but the same device (devices taken out of the pool stay out)."""
        owned = self.client.run(worker_device, on_error="return")
        self.boards = {address: url for address, url in owned.items()
                       if isinstance(url, str) and url in self.descriptions
                       and url not in self.out}

    @property
    def missing(self) -> bool:
        """Whether a device of the pool has no worker at the moment (one is restarting)."""
        return len(set(self.boards.values())) < len(set(self.descriptions) - self.out)

    def take_out(self, url: str) -> None:
        """Stop sending tasks to this device and retire the worker that owns it."""
        self.out.add(url)
        addresses = [address for address, u in self.boards.items() if u == url]
        for address in addresses:
            del self.boards[address]
        with contextlib.suppress(Exception):
            self.client.retire_workers(addresses, close_workers=self.cluster is not None)

    def close(self) -> None:
        """Close the client and, if the farm started it, the cluster (its workers stop, and a
        job they left on a device is aborted by the next session that opens it)."""
        for part in (self.client, self.cluster):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()
        self.client = self.cluster = None


@contextlib.contextmanager
def virtual_boards(count: int, *, ising=None, gan_engine: str | None = None,
                   log=None) -> Iterator[list[str]]:
    """Start ``count`` virtual boards (one simulator build, ``count`` processes) carrying an
    Ising core of ``ising`` and/or the GAN engine ``gan_engine``; yield their URLs."""
    from bitspin.sim.virtual_board.devices import start_device
    if not 1 <= count <= 64:
        raise FarmError(f"--virtual-boards must be from 1 to 64, not {count}")
    image = None
    if gan_engine is not None:
        from bitspin.sw.gan.engine_configs import engine_image
        image = engine_image(gan_engine)
    with contextlib.ExitStack() as stack:
        urls = []
        for index in range(count):
            (log or (lambda line: None))(f"starting virtual board {index + 1} of {count}")
            board = stack.enter_context(start_device(ising=ising, gan_engine=gan_engine,
                                                     gan_image=image))
            urls.append(board.url)
        yield urls
