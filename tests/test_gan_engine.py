"""The GAN engine under Verilator, full size: bit-exact with the golden model on the shipped models."""

import dataclasses
import hashlib

import numpy as np
import pytest

from bitspin.hw.gan.engine import GanEngine
from bitspin.hw.gan.load_map import LoadTarget
from bitspin.sim import simulate
from bitspin.sw.gan.engine_configs import ENGINE_CONFIGS
from bitspin.sw.gan.golden import GoldenGenerator
from bitspin.sw.gan.engine_image import pack_latent
from tests.gan_engine_models import random_inputs


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ENGINE_CONFIGS))
def test_engine_matches_golden_model(name, rng):
    """100 random (z, y), then an all-zero z with each label: whole images hashed.

    A configuration with its weights (or thresholds) in SPRAM is built with zeros there, which
    the bench then writes through the load port, as the host does after configuring the FPGA.
    """
    config = ENGINE_CONFIGS[name]
    target = config.target
    image = config.engine_image()
    load = []
    for field, target_id, in_spram in (("weights", LoadTarget.WEIGHTS, target.weights_in_spram),
                                       ("thresholds", LoadTarget.THRESHOLDS,
                                        target.thresholds_in_spram)):
        if in_spram:
            words = getattr(image, field)
            load += [[int(target_id.value), address, format(word, "x")]
                     for address, word in enumerate(words)]
            image = dataclasses.replace(image, **{field: (0,) * len(words)})
    architecture = image.plan.config
    z, y = random_inputs(rng, 100, architecture)
    z = np.concatenate([z, np.zeros((architecture.n_classes, architecture.z_dim), dtype=z.dtype)])
    y = np.concatenate([y, np.arange(architecture.n_classes)])
    requests = [[*pack_latent(z[k]), int(y[k])] for k in range(len(y))]
    result = simulate(GanEngine(image, loadable=target.loadable,
                                single_port_thresholds=target.thresholds_in_spram),
                      test_module="bitspin.sim.benches.gan_engine",
                      args={"requests": requests, "pixels": image.plan.pixels, "load": load,
                            "batch": image.plan.params.batch})
    side = architecture.image_side
    images = np.array([np.frombuffer(bytes.fromhex(h), np.uint8)
                       for h in result.outputs["images"]]).reshape(len(y), side, side)
    expected = GoldenGenerator.load(config.model).generate(z, y)
    assert sha(images) == sha(expected)
    batch = image.plan.params.batch
    sizes = [min(batch, len(y) - first) for first in range(0, len(y), batch)]
    assert result.outputs["image_cycles"] == [image.plan.batch_cycles(n) for n in sizes]
