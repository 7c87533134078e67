"""Latent vectors from a seed and the ternary quantization."""

import numpy as np
import pytest

from bitspin.sw.gan.latent import cycle_labels, latent_from_seed, parse_labels, quantize_z


def test_quantize_thresholds():
    z = np.array([0.0, 0.49999, -0.49999, 0.5, -0.5, 3.0, -3.0, 1e-300])
    np.testing.assert_array_equal(quantize_z(z), [0, 0, 0, 1, -1, 1, -1, 0])
    assert quantize_z(z).dtype == np.int8


def test_latent_is_reproducible_and_seed_dependent(rng):
    seed = int(rng.integers(1 << 31))
    a = latent_from_seed(seed, 200)
    np.testing.assert_array_equal(a, latent_from_seed(seed, 200))
    assert not np.array_equal(a, latent_from_seed(seed + 1, 200))
    # A prefix of a longer request is the same z: counts do not reshuffle the images.
    np.testing.assert_array_equal(a[:50], latent_from_seed(seed, 50))
    zero_share = (a == 0).mean()
    assert abs(zero_share - 0.383) < 0.02       # P(|N(0,1)| < 0.5)
    assert abs(a.mean()) < 0.02


def test_labels():
    np.testing.assert_array_equal(cycle_labels(12), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    np.testing.assert_array_equal(parse_labels("3,7", 5), [3, 7, 3, 7, 3])
    assert parse_labels(None, 3).dtype == np.int64
    for bad in ("a,b", "", "10", "-1"):
        with pytest.raises(ValueError):
            parse_labels(bad, 4)
    with pytest.raises(ValueError):
        latent_from_seed(-1, 3)
