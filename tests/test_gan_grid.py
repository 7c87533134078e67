"""The labelled PNG grid."""

import numpy as np
import pytest

from bitspin.sw.gan.grid import mosaic, save_grid


def test_mosaic_places_tiles(rng):
    images = rng.integers(0, 256, (5, 3, 4)).astype(np.uint8)
    out = mosaic(images, columns=2, gap=1)
    assert out.shape == (3 * 3 + 2, 2 * 4 + 1)
    np.testing.assert_array_equal(out[4:7, 5:9], images[3])


def test_save_grid(tmp_path, rng):
    images = rng.integers(0, 256, (12, 28, 28)).astype(np.uint8)
    path = save_grid(images, np.arange(12) % 10, tmp_path / "g.png", title="t")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        save_grid(images, np.arange(3), tmp_path / "h.png")
