"""Quality metrics: Fréchet distance, 1-NN two-sample accuracy, the cached classifier."""

import numpy as np
import pytest

from bitspin.sw.gan import DEFAULT_CLASSIFIER
from bitspin.sw.gan.data import load_digits
from bitspin.sw.gan.quality import (conditional_accuracy, frechet_distance, load_classifier,
                            one_nn_accuracy)


def test_frechet_distance_known_values(rng):
    a = rng.normal(0, 1, (4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-8)
    # N(0, I) vs N(m, 4I) in 3-d: |m|^2 + 3 * (1 + 4 - 2 * 2) = |m|^2 + 3.
    m = np.array([1.0, -2.0, 0.5])
    b = rng.normal(0, 2, (4000, 3)) + m
    assert frechet_distance(a, b) == pytest.approx(m @ m + 3, rel=0.1)


def test_one_nn_accuracy(rng):
    real = rng.integers(0, 256, (60, 28, 28)).astype(np.uint8)
    assert one_nn_accuracy(real, real.copy()) == 0.0     # perfect copies: all neighbours cross
    fake = np.zeros_like(real)
    fake[:, :14] = 255
    fake[:, 0, 0] = rng.integers(0, 256, 60).astype(np.uint8)   # no exact duplicates
    assert one_nn_accuracy(real, fake) == 1.0


def test_classifier_is_cached_and_accurate():
    assert DEFAULT_CLASSIFIER.is_file() and DEFAULT_CLASSIFIER.stat().st_size < 300_000
    model, info = load_classifier(train_if_missing=False)
    held = load_digits("held_out")
    accuracy = conditional_accuracy(model, held.images, held.labels)
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(info["held_out_accuracy"])


def test_bad_classifier_file(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"junk")
    with pytest.raises(ValueError):
        load_classifier(path)
