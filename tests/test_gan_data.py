"""The digits and their fixed split."""

import numpy as np

from bitspin.sw.gan.data import load_digits


def test_split_is_fixed_disjoint_and_stratified():
    train, held, full = load_digits("train"), load_digits("held_out"), load_digits("all")
    assert len(train.labels) == 4000 and len(held.labels) == 1000
    assert np.bincount(held.labels).tolist() == [100] * 10
    assert train.images.dtype == np.uint8 and train.images.shape[1:] == (28, 28)
    rows = {im.tobytes() for im in held.images}
    assert sum(im.tobytes() in rows for im in train.images) <= 5   # duplicates in the data only
    assert sorted(np.r_[train.labels, held.labels].tolist()) == sorted(full.labels.tolist())
    again = load_digits("held_out")
    np.testing.assert_array_equal(held.images, again.images)
    # MNIST convention: mostly background (0) with bright ink.
    assert np.median(full.images) == 0 and full.images.max() == 255
