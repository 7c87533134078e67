"""A few training steps: deterministic, clipped latent weights, foldable."""

import numpy as np
import torch

from bitspin.hw.gan.architecture import PRESETS
from bitspin.sw.gan.folding import fold_generator
from bitspin.sw.gan.golden import GoldenGenerator
from bitspin.sw.gan.latent import cycle_labels, latent_from_seed
from bitspin.sw.gan.train import TrainOptions, train


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


def test_recipe_options_smoke():
    """Projection discriminator, classifier on fakes, learning-rate decay and EMA: deterministic
    and foldable; bad values are rejected."""
    import pytest

    options = TrainOptions(config=PRESETS["small"], epochs=1, max_steps=4, batch_size=16,
                           calibration_batches=2, aux_weight=1.0, aux_on_fakes=True,
                           projection=True, lr_decay_start=0.5, ema_decay=0.9)
    g1, info = train(options)
    g2, _ = train(options)
    assert info["projection"] and info["ema_decay"] == 0.9 and info["lr_decay_start"] == 0.5
    for a, b in zip(g1.state_dict().values(), g2.state_dict().values()):
        assert torch.equal(a, b)
    for layer in [*g1.fc, *g1.deconv]:
        assert layer.weight.abs().max() <= 1
    z, y = latent_from_seed(5, 10), cycle_labels(10)
    np.testing.assert_array_equal(g1.generate(z, y).numpy(),
                                  GoldenGenerator(fold_generator(g1)).generate(z, y))
    for bad in ({"lr_decay_start": 1.5}, {"lr_decay_start": -0.1}, {"ema_decay": 1.0},
                {"ema_decay": -0.5}):
        with pytest.raises(ValueError):
            TrainOptions(**bad)


def test_projection_discriminator_scores_the_label():
    """With projection, changing only the label changes the logit by <embed(y), features>."""
    from bitspin.sw.gan.discriminator import Discriminator

    torch.manual_seed(0)
    d = Discriminator(projection=True).eval()
    x = torch.rand(3, 1, 28, 28)
    y = torch.tensor([1, 2, 3])
    with torch.no_grad():
        d.embed.weight.zero_()
        base = d(x, y)
        d.embed.weight[2] += 1.0
        changed = d(x, y)
    assert changed[0] == base[0] and changed[2] == base[2] and changed[1] != base[1]


def test_distillation_from_a_float_teacher(tmp_path):
    """--teacher/--distill-weight: a float checkpoint of the same shape pulls the student; its
    file name and hash go into the metadata; a binarized or differently shaped teacher, or half
    of the pair, is a clear error."""
    import pytest

    from bitspin.sw.gan.export import save_float_checkpoint
    small = PRESETS["small"]
    teacher, _ = train(TrainOptions(config=small, binary=False, epochs=1, max_steps=1,
                                    batch_size=16, calibration_batches=1))
    path = tmp_path / "teacher.npz"
    save_float_checkpoint(teacher, path)
    options = TrainOptions(config=small, epochs=1, max_steps=2, batch_size=16,
                           calibration_batches=1, teacher=str(path), distill_weight=10.0)
    g1, info = train(options)
    g2, _ = train(options)
    assert info["teacher"]["file"] == "teacher.npz" and len(info["teacher"]["sha256"]) == 64
    for a, b in zip(g1.state_dict().values(), g2.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="both a teacher"):
        TrainOptions(config=small, teacher=str(path))
    student, _ = train(TrainOptions(config=small, epochs=1, max_steps=1, batch_size=16,
                                    calibration_batches=1))
    save_float_checkpoint(student, tmp_path / "binary.npz")
    with pytest.raises(ValueError, match="float checkpoint"):
        train(TrainOptions(config=small, epochs=1, max_steps=1, batch_size=16,
                           teacher=str(tmp_path / "binary.npz"), distill_weight=1.0))
    with pytest.raises(ValueError, match="shape differs"):
        train(TrainOptions(epochs=1, max_steps=1, batch_size=16, teacher=str(path),
                           distill_weight=1.0))
