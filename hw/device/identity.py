"""The device identity: what a built device tells the host about itself (design, version, cores).

A compact JSON text baked into the system block's ROM. The host reads it first and refuses to
run a request the device was not built for (another lattice size, another model architecture).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

__all__ = ["identity_json", "git_hash", "DESIGN_VERSION", "VIRTUAL_BOARD_REVISION"]

#: Version of the device design (bumped when the register behaviour changes).
DESIGN_VERSION = "0.1.0"
#: The ``git`` field of a virtual board's identity (not a hash: it keeps the simulator build
#: cached across commits that leave the gateware alone).
VIRTUAL_BOARD_REVISION = "virtual-board"


def git_hash() -> str:
    """The repository's short commit hash, "+dirty" if modified; "unknown" outside a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, check=True, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def identity_json(design: str, clock_hz: int, baud: int | None, ising=None, gan=None,
                  revision: str | None = None) -> bytes:
    """The identity text. ``ising``: IsingParams; ``gan``: a dict with the engine's model
    architecture, parallelism and load width (see ``bitspin.hw.device.gan_block``)."""
    identity = {"design": design, "version": DESIGN_VERSION,
                "git": revision if revision is not None else git_hash(),
                "clock_hz": clock_hz, "baud": baud, "cores": {}}
    if ising is not None:
        identity["cores"]["ising"] = ising.as_dict()
    if gan is not None:
        identity["cores"]["gan"] = gan
    return json.dumps(identity, separators=(",", ":"), sort_keys=True).encode()
