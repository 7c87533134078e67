"""Output paths checked when the flags are parsed, so that a bad one fails in one line before any
work starts (not with a traceback after a long computation).

Use as an argparse ``type=``: :func:`output_file` for a file the command writes, and
:func:`output_dir` for a folder it fills. Missing parent folders are fine (the commands create
them); what fails is a path under a file, a file where a folder is wanted (and the reverse) and a
place this user may not write.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["output_file", "output_dir"]


def _writable_ancestor(path: Path) -> None:
    """The nearest existing ancestor of ``path`` must be a folder this user may write into."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise argparse.ArgumentTypeError(f"cannot create {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot create {path}: no permission to write in "
                                         f"{ancestor}")


def output_file(text: str) -> Path:
    """A file path the command may write (it need not exist yet)."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"cannot overwrite {path}: no permission")
        return path
    _writable_ancestor(path)
    return path


def output_dir(text: str) -> Path:
    """A folder the command may create or write files into."""
    path = Path(text)
    if not text:
        raise argparse.ArgumentTypeError("the folder name is empty")
    if path.exists():
        if not path.is_dir():
            raise argparse.ArgumentTypeError(f"{path} is a file; give a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"cannot write in {path}: no permission")
        return path
    _writable_ancestor(path)
    return path
