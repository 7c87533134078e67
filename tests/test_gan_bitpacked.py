"""The bit-packed generator (sw/gan/bitpacked.py) equals the golden model bit for bit: the shipped
models, random architectures (multi-word layers, other kernels and strides, no hidden layers),
any batch split and any thread count."""

import os
import subprocess
import sys

import pytest

from bitspin.hw.gan.architecture import GanConfig
from bitspin.sw.gan.bitpacked import BitPackedGenerator
from bitspin.sw.gan.engine_configs import ENGINE_CONFIGS
from bitspin.sw.gan.export import load_model
from bitspin.sw.gan.golden import GoldenGenerator
from tests.gan_engine_models import random_folded_model, random_inputs, random_small_config
from tests.test_gan_golden import sha

SHIPPED = sorted({config.model for config in ENGINE_CONFIGS.values()})


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_models_match_golden(path, rng):
    model = load_model(path)
    z, y = random_inputs(rng, 300, model.config)
    golden = GoldenGenerator(model).generate(z, y)
    assert sha(BitPackedGenerator(model).generate(z, y, batch=int(rng.integers(1, 300)),
                                                  threads=1)) == sha(golden)


def _random_config(rng) -> GanConfig:
    """random_small_config, with wide layers (several 64-bit words) and other kernel shapes
    (drawn again until the transposed convolutions give a non-empty image)."""
    while True:
        try:
            return _draw_config(rng)
        except ValueError:
            continue


def _draw_config(rng) -> GanConfig:
    base = random_small_config(rng)
    stride = int(rng.integers(1, 3))
    wide = rng.random() < 0.5
    return GanConfig(
        z_dim=int(rng.integers(60, 140)) if wide else base.z_dim, n_classes=base.n_classes,
        fc_widths=tuple(int(v) for v in rng.integers(60, 150, len(base.fc_widths))) if wide
        else base.fc_widths,
        conv_channels=int(rng.integers(60, 140)) if wide else base.conv_channels,
        base=base.base,
        deconv_channels=tuple(int(v) for v in rng.integers(60, 140, len(base.deconv_channels)))
        if wide else base.deconv_channels,
        kernel=int(rng.integers(stride + 1, 6)), stride=stride,
        padding=int(rng.integers(0, 2)), output_padding=int(rng.integers(0, stride)),
        last_weight_bits=base.last_weight_bits, label_repeat=base.label_repeat)


@pytest.mark.parametrize("case", range(6))
def test_random_architectures_match_golden(case, rng):
    config = _random_config(rng)
    model = random_folded_model(config, rng)
    z, y = random_inputs(rng, 40, config)
    golden = GoldenGenerator(model).generate(z, y)
    ours = BitPackedGenerator(model).generate(z, y, batch=int(rng.integers(1, 40)), threads=1)
    assert ours.shape == golden.shape, config
    assert sha(ours) == sha(golden), config


def test_the_same_images_on_any_number_of_threads():
    # numba fixes its thread pool at import, and the suite pins it to one: a fresh process each.
    script = ("import sys, hashlib, numpy as np\n"
              "from bitspin.sw.gan import DEFAULT_MODEL\n"
              "from bitspin.sw.gan.bitpacked import BitPackedGenerator\n"
              "from bitspin.sw.gan.latent import latent_from_seed\n"
              "g = BitPackedGenerator.load(DEFAULT_MODEL)\n"
              "z = latent_from_seed(3, 100, 100, 0.5)\n"
              "out = g.generate(z, np.arange(100) % 10, batch=37, threads=int(sys.argv[1]))\n"
              "print(hashlib.sha256(out.tobytes()).hexdigest())\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    env["NUMBA_NUM_THREADS"] = "2"
    hashes = {subprocess.run([sys.executable, "-c", script, str(threads)], capture_output=True,
                             text=True, check=True, env=env).stdout for threads in (1, 2)}
    assert len(hashes) == 1


def test_bad_inputs_are_refused(rng):
    model = load_model(SHIPPED[0])
    generator = BitPackedGenerator(model)
    z, y = random_inputs(rng, 4, model.config)
    with pytest.raises(ValueError):
        generator.generate(z, y + model.config.n_classes, threads=1)
    with pytest.raises(ValueError):
        generator.generate(z, y, threads=0)
