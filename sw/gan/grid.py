"""A labelled PNG grid of generated digits (ink drawn dark on white)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["save_grid", "mosaic", "MAX_GRID"]

#: More images than this make an unreadable grid: refuse with a message instead.
MAX_GRID = 1000


def mosaic(images: np.ndarray, columns: int, gap: int = 2) -> np.ndarray:
    """uint8 [N, h, w] tiled row-major into one uint8 image with ``gap`` background pixels."""
    n, h, w = images.shape
    rows = max(1, math.ceil(n / columns))
    out = np.zeros((rows * (h + gap) - gap, columns * (w + gap) - gap), dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image
    return out


def save_grid(images: np.ndarray, labels: np.ndarray, path, columns: int = 10,
              title: str | None = None) -> Path:
    """Write ``images`` (uint8 [N, h, w], 255 = ink) as a PNG grid, each tile labelled."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.dtype != np.uint8 or len(images) != len(labels):
        raise ValueError("save_grid needs uint8 images [N, h, w] and N labels")
    if not 1 <= len(images) <= MAX_GRID:
        raise ValueError(f"a PNG grid holds 1..{MAX_GRID} images, not {len(images)}")
    columns = min(columns, len(images))
    gap = 12                             # room for the label above each tile
    _, h, w = images.shape
    tiles = mosaic(images, columns, gap)
    canvas = np.zeros((tiles.shape[0] + gap, tiles.shape[1]), dtype=np.uint8)
    canvas[gap:] = tiles
    scale = 0.03                         # inches per canvas pixel: ~3 screen pixels at 100 dpi
    fig = plt.figure(figsize=(max(2, canvas.shape[1] * scale), max(2, canvas.shape[0] * scale)))
    ax = fig.add_axes((0, 0, 1, 0.95 if title else 1))
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    for i, label in enumerate(labels):
        r, c = divmod(i, columns)
        ax.text(c * (w + gap) + w / 2, r * (h + gap) + gap - 2, str(int(label)),
                ha="center", va="bottom", fontsize=9, color="tab:red")
    ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=8)
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
