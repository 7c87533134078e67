"""The latent vector z and the labels of a generation request, reproducible from a seed.

z is drawn as float64 standard normals from ``numpy.random.default_rng(seed)`` (shape
``[count, z_dim]``, row-major) and quantized to ternary: ``0`` where ``|z| < threshold``
(default 0.5, so 38% zeros), else ``+1``/``-1`` by the sign (|z| exactly at the threshold goes
to ±1). Every backend starts from these int8 values, so the same seed gives the same images.
"""

from __future__ import annotations

import numpy as np

__all__ = ["quantize_z", "latent_from_seed", "cycle_labels", "parse_labels"]


def quantize_z(z, threshold: float = 0.5) -> np.ndarray:
    """Ternary quantization of real z: int8 in {-1, 0, +1}."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(np.abs(z) < threshold, 0, np.where(z > 0, 1, -1)).astype(np.int8)


def latent_from_seed(seed: int, count: int, z_dim: int = 100, threshold: float = 0.5) -> np.ndarray:
    """``count`` ternary latent vectors (int8 [count, z_dim]) from ``seed``."""
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, not {seed}")
    z = np.random.default_rng(seed).standard_normal((count, z_dim))
    return quantize_z(z, threshold)


def cycle_labels(count: int, n_classes: int = 10) -> np.ndarray:
    """Labels 0, 1, ..., n_classes-1, 0, 1, ... (int64 [count])."""
    return np.arange(count, dtype=np.int64) % n_classes


def parse_labels(spec: str | None, count: int, n_classes: int = 10) -> np.ndarray:
    """``--labels`` as int64 [count]: None cycles 0..n-1; a list is repeated to ``count``."""
    if spec is None:
        return cycle_labels(count, n_classes)
    try:
        values = [int(v) for v in spec.split(",") if v.strip() != ""]
    except ValueError:
        raise ValueError(f"--labels must be comma-separated integers, not {spec!r}") from None
    if not values:
        raise ValueError("--labels is empty")
    bad = [v for v in values if not 0 <= v < n_classes]
    if bad:
        raise ValueError(f"labels must be in 0..{n_classes - 1}, not {bad}")
    return np.resize(np.array(values, dtype=np.int64), count)
