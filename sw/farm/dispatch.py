"""Tasks on the farm's devices: each result comes from one device, a failed try runs again on
another device, and a device that keeps failing is taken out of the pool.

Dask places the tasks (every board-owning worker takes the next one as it frees up); this
module only watches the outcomes. A task's result does not depend on where it ran (the Ising
seed and the GAN latent vectors are fixed before submission), so a retry gives the same answer.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .cluster import Farm, FarmError
from .workers import BOARD_RESOURCE, Attempt, attempt

__all__ = ["Task", "DispatchReport", "run_tasks", "MAX_FAILURES"]

#: Failures in a row after which a device leaves the pool.
MAX_FAILURES = 2


@dataclass
class Task:
    """``job(device_url, *args)`` under a readable name (``name`` also keys it in Dask)."""

    name: str
    job: Callable
    args: tuple = ()


@dataclass
class DispatchReport:
    """Per task its successful :class:`Attempt`; the retries; per device what it did."""

    outcomes: list
    retries: int = 0
    device_stats: dict = field(default_factory=dict)
    taken_out: list = field(default_factory=list)
    elapsed_s: float = 0.0


class _Dispatcher:
    def __init__(self, farm: Farm, tasks: list[Task], max_failures: int, on_done):
        from distributed import as_completed
        self.farm, self.tasks, self.max_failures, self.on_done = farm, tasks, max_failures, on_done
        self.stats = {url: {"tasks": 0, "busy_s": 0.0, "failures": 0}
                      for url in farm.boards.values()}
        self.report = DispatchReport([None] * len(tasks), device_stats=self.stats)
        self.in_row, self.tries = Counter(), Counter()
        self.pending: dict = {}             # future key -> (task index, allowed addresses)
        self.queue = as_completed()

    def submit(self, index: int, avoid: str | None = None) -> None:
        boards = self.farm.boards
        addresses = [a for a, url in boards.items() if url != avoid] or list(boards)
        if not addresses:
            raise FarmError("every device was taken out of the pool: " + "; ".join(
                f"{t['device']}: {t['reason']}" for t in self.report.taken_out))
        task = self.tasks[index]
        future = self.farm.client.submit(attempt, task.job, *task.args, workers=addresses,
                                         resources={BOARD_RESOURCE: 1}, pure=False,
                                         key=f"{task.name}-try{self.tries[index]}")
        self.tries[index] += 1
        self.pending[future.key] = (index, future, set(addresses))
        self.queue.add(future)

    def resubmit_stranded(self) -> None:
        """After the workers changed: tasks bound only to workers that are gone go again."""
        live = set(self.farm.boards)
        for key, (index, future, addresses) in list(self.pending.items()):
            if not addresses & live and not future.done():
                del self.pending[key]
                future.cancel()
                self.submit(index)

    def outcome(self, future) -> tuple[int, Attempt] | None:
        from distributed.scheduler import KilledWorker
        entry = self.pending.pop(future.key, None)
        if entry is None:                   # cancelled and submitted again
            return None
        index = entry[0]
        try:
            return index, future.result()
        except KilledWorker as error:
            address = getattr(error.last_worker, "address", None)
            url = self.farm.boards.get(address)
            return index, Attempt(url, error="its Dask worker died while running it")

    def failed(self, index: int, outcome: Attempt) -> None:
        url, farm = outcome.device, self.farm
        self.report.retries += 1
        farm.log(f"{self.tasks[index].name} failed on {url or 'an unknown device'}: "
                 f"{outcome.error}; running it again on another device")
        if url in self.stats:
            self.in_row[url] += 1
            self.stats[url]["failures"] += 1
            if url not in farm.out and (outcome.unsuitable or
                                        self.in_row[url] >= self.max_failures):
                farm.log(f"device {url} taken out of the pool after {self.in_row[url]} "
                         f"failure(s) in a row: {outcome.error}")
                self.report.taken_out.append({"device": url, "failures": self.in_row[url],
                                              "reason": outcome.error})
                farm.take_out(url)
        farm.refresh()
        self.resubmit_stranded()
        self.submit(index, avoid=url)

    def run(self) -> DispatchReport:
        start = time.monotonic()
        for index in range(len(self.tasks)):
            self.submit(index)
        for future in self.queue:
            result = self.outcome(future)
            future.release()
            if self.farm.missing:
                self.farm.refresh()
            if result is None:
                continue
            index, outcome = result
            url = outcome.device
            if url in self.stats:
                self.stats[url]["busy_s"] += outcome.elapsed_s
            if outcome.error is not None:
                self.failed(index, outcome)
                continue
            self.report.outcomes[index] = outcome
            self.in_row[url] = 0
            self.stats[url]["tasks"] += 1
            if self.on_done is not None:
                self.on_done(index, outcome)
        self.report.elapsed_s = time.monotonic() - start
        return self.report


def run_tasks(farm: Farm, tasks: list[Task], *, max_failures: int = MAX_FAILURES,
              on_done: Callable | None = None) -> DispatchReport:
    """Run ``tasks`` on the farm's devices; ``on_done(index, attempt)`` after each success.

    A failed try (an error on the device, or its worker dying) runs again on another device
    and counts as a retry; a device that fails ``max_failures`` times in a row, or is built
    for something else, leaves the pool. Raises :class:`FarmError` when no device is left.
    """
    return _Dispatcher(farm, tasks, max_failures, on_done).run()
