"""Random binarized models and requests for the GAN engine tests (shared by pysim and cocotb)."""

from __future__ import annotations

from bitspin.hw.gan.architecture import GanConfig
from bitspin.sw.gan.folding import fold_generator
from tests.test_gan_golden import random_generator, random_inputs

__all__ = ["random_small_config", "random_folded_model", "random_inputs"]


def random_small_config(rng) -> GanConfig:
    """A random, small architecture: every shape parameter the engine must handle varies."""
    return GanConfig(
        z_dim=int(rng.integers(3, 40)), n_classes=int(rng.integers(2, 6)),
        fc_widths=tuple(int(v) for v in rng.integers(3, 40, int(rng.integers(0, 3)))),
        conv_channels=int(rng.integers(1, 12)), base=int(rng.integers(1, 4)),
        deconv_channels=tuple(int(v) for v in rng.integers(1, 12, int(rng.integers(0, 2)))),
        last_weight_bits=int(rng.integers(2, 9)), label_repeat=int(rng.integers(1, 4)))


def random_folded_model(config: GanConfig, rng):
    """Fold a random binarized generator (negative and zero gammas included)."""
    return fold_generator(random_generator(config, rng))
