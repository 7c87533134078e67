"""Per-bond couplings J_ij ∈ {−1, +1} (the ±J Edwards–Anderson spin glass) and their file format.

A file is an ``.npz`` with two int8 arrays of shape [L, L]: ``j_right[y, x]`` couples (y, x)
with (y, x+1 mod L), ``j_down[y, x]`` couples (y, x) with (y+1 mod L, x). All +1 is the uniform
ferromagnet. With couplings the bond sum is B = Σ J_ij s_i s_j over the 2L² bonds, so
E = −J·B − h·M keeps its meaning (J, the global sign, stays +1 unless asked).

Every sampler applies a coupling the way the hardware will: a −1 bond inverts the neighbour's
spin bit before it is counted (``negations``), so a site's count of "up" neighbours and the
threshold table are unchanged.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .rng import splitmix64

__all__ = ["Couplings", "random_couplings", "load_couplings", "uniform_couplings"]


@dataclass(frozen=True)
class Couplings:
    """The two int8 [L, L] arrays of ±1 (see the module docstring)."""
    j_right: np.ndarray
    j_down: np.ndarray

    def __post_init__(self):
        for name in ("j_right", "j_down"):
            array = np.asarray(getattr(self, name))
            if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] < 2:
                raise ValueError(f"couplings: {name} must be a square [L, L] array, not of "
                                 f"shape {array.shape}")
            if not np.isin(array, (-1, 1)).all():
                bad = array[~np.isin(array, (-1, 1))].ravel()[0]
                raise ValueError(f"couplings: {name} must hold only -1 and +1 (found {bad!r})")
            object.__setattr__(self, name, array.astype(np.int8))
        if self.j_right.shape != self.j_down.shape:
            raise ValueError(f"couplings: j_right {self.j_right.shape} and j_down "
                             f"{self.j_down.shape} differ in shape")

    @property
    def size(self) -> int:
        return self.j_right.shape[0]

    def negations(self) -> dict[str, np.ndarray]:
        """uint8 [L, L] per direction: 1 where the bond from (y, x) to that neighbour is −1
        (``right``, ``left``, ``down``, ``up``)."""
        right = (self.j_right < 0).astype(np.uint8)
        down = (self.j_down < 0).astype(np.uint8)
        return {"right": right, "left": np.roll(right, 1, axis=1),
                "down": down, "up": np.roll(down, 1, axis=0)}

    def save(self, path) -> None:
        """Write the ``.npz`` file (``j_right``, ``j_down``)."""
        np.savez(path, j_right=self.j_right, j_down=self.j_down)

    def is_uniform(self) -> bool:
        return bool((self.j_right == 1).all() and (self.j_down == 1).all())


def uniform_couplings(L: int) -> Couplings:
    """All +1: the ferromagnet."""
    ones = np.ones((L, L), dtype=np.int8)
    return Couplings(ones, ones.copy())


def random_couplings(L: int, seed: int) -> Couplings:
    """A ±J instance with each bond −1 with probability 1/2, from SplitMix64(seed): output n's
    top bit decides bond n, j_right's L² bonds (row-major) first, then j_down's."""
    if not isinstance(L, int) or not 2 <= L <= 4096:
        raise ValueError(f"size L must be from 2 to 4096, not {L!r}")
    if not isinstance(seed, int) or not 0 <= seed < 1 << 64:
        raise ValueError(f"seed must be in [0, 2^64), not {seed!r}")
    bits = np.array(splitmix64(seed, 2 * L * L), dtype=np.uint64) >> np.uint64(63)
    signs = (1 - 2 * bits.astype(np.int8)).reshape(2, L, L)
    return Couplings(signs[0], signs[1])


def load_couplings(path, size: int | None = None) -> Couplings:
    """Read and check a couplings file; ``size``: the lattice side it must have."""
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
        if not hasattr(data, "files"):     # a bare .npy: one array
            raise ValueError("it holds one array, not j_right and j_down")
        with data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise ValueError(f"couplings file {path} does not exist") from None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as error:
        raise ValueError(f"couplings file {path} is not a readable .npz file ({error})") from None
    missing = {"j_right", "j_down"} - set(arrays)
    if missing:
        raise ValueError(f"couplings file {path} lacks {', '.join(sorted(missing))} (it needs "
                         "int8 arrays j_right and j_down of shape [L, L])")
    j_right, j_down = arrays["j_right"], arrays["j_down"]
    for name, array in (("j_right", j_right), ("j_down", j_down)):
        if not np.issubdtype(array.dtype, np.integer) and not np.issubdtype(array.dtype,
                                                                            np.floating):
            raise ValueError(f"couplings file {path}: {name} has dtype {array.dtype}, not a "
                             "number")
    try:
        couplings = Couplings(j_right, j_down)
    except ValueError as error:
        raise ValueError(f"couplings file {path}: {error}") from None
    if size is not None and couplings.size != size:
        raise ValueError(f"couplings file {path} is for L = {couplings.size}, but the run has "
                         f"--size {size}")
    return couplings
