"""Progress lines for long commands: a status line on a terminal, timestamped lines on stderr
otherwise (a log file or CI shows what a long run is doing)."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Callable, Iterator

from rich.console import Console

__all__ = ["progress_lines"]


@contextlib.contextmanager
def progress_lines(first: str) -> Iterator[Callable[[str], None]]:
    """Yield ``update(line)``; on a terminal it rewrites one status line, else it prints each
    distinct line once with the seconds since the start."""
    console = Console(stderr=True)
    if console.is_terminal:
        with console.status(first) as status:
            yield lambda line: status.update(f"[dim]{line}[/dim]")
        return
    started, last = time.monotonic(), [None]

    def update(line: str) -> None:
        if line != last[0]:
            last[0] = line
            print(f"[{time.monotonic() - started:7.1f} s] {line}", file=sys.stderr, flush=True)
    update(first)
    yield update
