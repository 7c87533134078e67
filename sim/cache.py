"""Where bitspin keeps simulator builds and other reusable artefacts."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

__all__ = ["cache_root", "locked"]


def cache_root() -> Path:
    """``$BITSPIN_CACHE_DIR``, else ``~/.cache/bitspin`` (``$XDG_CACHE_HOME`` respected)."""
    if "BITSPIN_CACHE_DIR" in os.environ:
        root = Path(os.environ["BITSPIN_CACHE_DIR"])
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bitspin"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive lock on ``path.lock`` so parallel test workers build each entry once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
