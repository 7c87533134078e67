"""The lattice as the core stores it: G words of W = R·L bits (see hw.ising.params); with
couplings each word also holds the W right-bond and the W down-bond signs (1 = a −1 bond)."""

from __future__ import annotations

import numpy as np

from bitspin.hw.ising.params import IsingParams

__all__ = ["lattice_to_words", "words_to_lattice"]


def _pack(params: IsingParams, planes) -> list[int]:
    bits = np.concatenate([np.asarray(plane, dtype=np.uint8).reshape(params.groups,
                                                                      params.word_bits)
                           for plane in planes], axis=1)
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def lattice_to_words(params: IsingParams, lattice: np.ndarray, couplings=None) -> list[int]:
    """Pack a [L, L] uint8 lattice (1 = up) into the core's memory words; with a core that has
    couplings, also the bonds' signs of ``couplings`` (``sw.ising.couplings``; None: all +1)."""
    lattice = np.asarray(lattice)
    if lattice.shape != (params.size, params.size) or not np.isin(lattice, (0, 1)).all():
        raise ValueError(f"a lattice must be a {params.size}×{params.size} array of 0 and 1")
    if couplings is not None and not params.couplings:
        raise ValueError("this core holds no couplings (IsingParams couplings=False)")
    planes = [lattice]
    if params.couplings:
        L = params.size
        if couplings is None:
            planes += [np.zeros((L, L)), np.zeros((L, L))]
        else:
            if couplings.size != L:
                raise ValueError(f"the couplings are for L = {couplings.size}, the core has "
                                 f"L = {L}")
            planes += [couplings.j_right < 0, couplings.j_down < 0]
    return _pack(params, planes)


def words_to_lattice(params: IsingParams, words) -> np.ndarray:
    """The [L, L] uint8 lattice held by the core's memory ``words`` (the spins' part)."""
    nbytes = -(-params.memory_word_bits // 8)       # an L = 4 word can be under a byte
    raw = b"".join(int(w).to_bytes(nbytes, "little") for w in words)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")
    bits = bits.reshape(-1, nbytes * 8)[:, :params.word_bits]
    return bits.reshape(params.size, params.size)
