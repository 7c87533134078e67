"""A few training steps: deterministic, clipped latent weights, foldable."""

import numpy as np
import torch

from sw.gan.architecture import PRESETS
from sw.gan.folding import fold_generator
from sw.gan.golden import GoldenGenerator
from sw.gan.latent import cycle_labels, latent_from_seed
from sw.gan.train import TrainOptions, train


def test_smoke_training_is_deterministic(rng):
    seed = int(rng.integers(1000))
    options = TrainOptions(config=PRESETS["small"], epochs=1, seed=seed, max_steps=3,
                           batch_size=16, calibration_batches=2)
    g1, info = train(options)
    g2, _ = train(options)
    assert info["steps"] == 3
    for (name, a), b in zip(g1.state_dict().items(), g2.state_dict().values()):
        assert torch.equal(a, b), name
    for layer in [*g1.fc, *g1.deconv]:
        assert layer.weight.abs().max() <= 1
    z, y = latent_from_seed(seed, 20), cycle_labels(20)
    np.testing.assert_array_equal(g1.generate(z, y).numpy(),
                                  GoldenGenerator(fold_generator(g1)).generate(z, y))


def test_float_smoke():
    g, info = train(TrainOptions(config=PRESETS["small"], binary=False, epochs=1, max_steps=2,
                                 batch_size=16, calibration_batches=2))
    images = g.generate(torch.from_numpy(latent_from_seed(0, 4)), torch.arange(4)).numpy()
    assert images.dtype == np.uint8 and images.shape == (4, 28, 28)


def test_aux_classifier_smoke():
    """AC-GAN option: trains deterministically, exports like the default, rejects w < 0."""
    import pytest

    options = TrainOptions(config=PRESETS["small"], epochs=1, max_steps=2, batch_size=16,
                           calibration_batches=2, aux_weight=1.0)
    g1, info = train(options)
    g2, _ = train(options)
    assert info["aux_weight"] == 1.0
    for a, b in zip(g1.state_dict().values(), g2.state_dict().values()):
        assert torch.equal(a, b)
    z, y = latent_from_seed(3, 10), cycle_labels(10)
    np.testing.assert_array_equal(g1.generate(z, y).numpy(),
                                  GoldenGenerator(fold_generator(g1)).generate(z, y))
    with pytest.raises(ValueError):
        TrainOptions(aux_weight=-1.0)
