"""The lattice as the core stores it: G words of W = R·L bits (see hw.ising.params)."""

from __future__ import annotations

import numpy as np

from bitspin.hw.ising.params import IsingParams

__all__ = ["lattice_to_words", "words_to_lattice"]


def lattice_to_words(params: IsingParams, lattice: np.ndarray) -> list[int]:
    """Pack a [L, L] uint8 lattice (1 = up) into the core's memory words."""
    lattice = np.asarray(lattice)
    if lattice.shape != (params.size, params.size) or not np.isin(lattice, (0, 1)).all():
        raise ValueError(f"a lattice must be a {params.size}×{params.size} array of 0 and 1")
    bits = lattice.astype(np.uint8).reshape(params.groups, params.word_bits)
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def words_to_lattice(params: IsingParams, words) -> np.ndarray:
    """The [L, L] uint8 lattice held by the core's memory ``words``."""
    nbytes = -(-params.word_bits // 8)       # an L = 4 word can be under a byte
    raw = b"".join(int(w).to_bytes(nbytes, "little") for w in words)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")
    bits = bits.reshape(-1, nbytes * 8)[:, :params.word_bits]
    return bits.reshape(params.size, params.size)
