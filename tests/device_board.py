"""The virtual board that the end-to-end device tests share: an L=16, P=8 Ising core and the
iCEBreaker GAN engine, whose weights the host loads over the link. Modules import the fixtures;
each module gets its own board (the first build takes a few minutes, later ones are cached)."""

import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.sw.device.device import Device
from bitspin.sw.device.generator import Generator
from bitspin.sw.gan.engine_configs import engine_config, engine_image
from bitspin.sw.gan.export import load_model

PARAMS = IsingParams(16, 8)
ENGINE = "icebreaker"


@pytest.fixture(scope="module")
def board():
    from bitspin.sim.virtual_board.devices import start_device
    with start_device(ising=PARAMS, gan_engine=ENGINE, gan_image=engine_image(ENGINE)) as vb:
        yield vb


@pytest.fixture(scope="module")
def loaded_model(board):
    """The small model, loaded once into the engine (its weights are SPRAM: not in the build)."""
    model = load_model(engine_config(ENGINE).model)
    with Device.open(board.url, timeout=2.0) as dev:
        Generator(dev).load_model(model)
    return model
