"""Golden model == PyTorch eval path, bit for bit (SHA-256 of whole output arrays)."""

import hashlib

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from bitspin.sw.gan import DEFAULT_MODEL
from bitspin.hw.gan.architecture import PRESETS
from bitspin.sw.gan.export import load_model
from bitspin.sw.gan.folding import fold_generator
from bitspin.sw.gan.generator import Generator
from bitspin.sw.gan.golden import GoldenGenerator, conv_transpose_int
from bitspin.sw.gan.integer_path import integer_generate
from bitspin.sw.gan.latent import quantize_z


def sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def random_generator(config, rng) -> Generator:
    """A binarized generator with random weights and random eval statistics.

    Some gammas are negative and some exactly zero, so every threshold case is exercised.
    """
    torch.manual_seed(int(rng.integers(1 << 31)))
    g = Generator(config, binary=True)
    with torch.no_grad():
        for layer, bn in [*zip(g.fc, g.fc_bn), *zip(g.deconv, g.deconv_bn)]:
            n = bn.num_features
            fan = layer.weight[0].numel() if layer.weight.ndim == 2 else \
                layer.weight.shape[0] * layer.weight.shape[2] * layer.weight.shape[3]
            bn.running_mean.copy_(torch.from_numpy(rng.normal(0, np.sqrt(fan) / 3, n)))
            bn.running_var.copy_(torch.from_numpy(rng.uniform(0.3, 1.5, n) * fan))
            gamma = rng.normal(0, 1, n)
            gamma[rng.random(n) < 0.05] = 0.0
            bn.weight.copy_(torch.from_numpy(gamma))
            bn.bias.copy_(torch.from_numpy(rng.normal(0, 0.5, n)))
        g.last.weight.normal_(0, 0.05)
        g.last.bias.fill_(float(rng.normal(-1, 0.5)))
    return g.eval()


def random_inputs(rng, count, config):
    z = quantize_z(rng.standard_normal((count, config.z_dim)), config.z_zero_threshold)
    y = rng.integers(0, config.n_classes, count)
    return z, y


def test_conv_transpose_int_matches_torch(rng):
    x = rng.integers(-3, 4, (3, 5, 6, 7)).astype(np.int64)
    w = rng.integers(-31, 32, (5, 4, 5, 5)).astype(np.int64)
    stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    output_padding = int(rng.integers(0, stride))
    ours = conv_transpose_int(x, w, stride, padding, output_padding)
    ref = F.conv_transpose2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                             stride=stride, padding=padding, output_padding=output_padding)
    np.testing.assert_array_equal(ours, ref.round().long().numpy())


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_golden_equals_torch_random_models(rng, name):
    config = PRESETS[name]
    g = random_generator(config, rng)
    z, y = random_inputs(rng, 1500, config)
    torch_images = g.generate(torch.from_numpy(z), torch.from_numpy(y)).numpy()
    golden_images = GoldenGenerator(fold_generator(g)).generate(z, y)
    assert torch_images.dtype == golden_images.dtype == np.uint8
    assert torch_images.shape == (1500, 28, 28)
    assert sha(torch_images) == sha(golden_images)
    assert len(np.unique(golden_images)) > 10      # not a constant image: the test has teeth


def test_golden_equals_torch_committed_model(rng):
    model = load_model(DEFAULT_MODEL)
    z, y = random_inputs(rng, 2000, model.config)
    # Edge cases: all-zero z with each label, all +1, all -1.
    n = model.config.n_classes
    z = np.concatenate([z, np.zeros((n, 100), np.int8), np.ones((n, 100), np.int8),
                        -np.ones((n, 100), np.int8)])
    y = np.concatenate([y, np.tile(np.arange(n), 3)])
    golden_images = GoldenGenerator(model).generate(z, y)
    torch_images = integer_generate(model, z, y).numpy()
    assert sha(golden_images) == sha(torch_images)
    assert golden_images.shape == (len(y), 28, 28)


def test_golden_batching_does_not_matter(rng):
    model = load_model(DEFAULT_MODEL)
    z, y = random_inputs(rng, 64, model.config)
    golden = GoldenGenerator(model)
    assert sha(golden.generate(z, y, batch=7)) == sha(golden.generate(z, y, batch=64))


@pytest.mark.parametrize("bad", ["z_value", "z_shape", "label_range", "label_shape"])
def test_golden_rejects_bad_inputs(bad):
    model = load_model(DEFAULT_MODEL)
    z, y = np.zeros((4, 100), np.int8), np.arange(4)
    if bad == "z_value":
        z[0, 0] = 2
    elif bad == "z_shape":
        z = z[:, :99]
    elif bad == "label_range":
        y = np.array([0, 1, 2, 10])
    else:
        y = y[:3]
    with pytest.raises(ValueError):
        GoldenGenerator(model).generate(z, y)
