"""A bounded fault campaign against a virtual board: clients killed at random moments of Ising
and GAN jobs, a second client left idle, and link faults (flipped bits, stray sync bytes,
truncated frames) injected at random positions. After every fault the next job either matches
the golden model bit for bit or fails with a clear error, and the one after it matches."""

import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from bitspin.hw.ising.params import IsingParams
from bitspin.hw.protocol.frame_format import REQUEST_SYNC
from bitspin.sw.device.client import ProtocolClient
from bitspin.sw.device.device import Device
from bitspin.sw.device.errors import DeviceError
from bitspin.sw.device.ising_sampler import IsingSampler
from bitspin.sw.device.transport import open_transport
from bitspin.sw.gan.engine_configs import engine_config, engine_image
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import lattice_sha256, observables_sha256

pytestmark = pytest.mark.slow
PARAMS = IsingParams(16, 8)
ENGINE = "icebreaker"
ROUNDS = 8
#: What a job may raise after a fault: a clear error, never a wrong result.
CLEAR = (DeviceError, ConnectionError)


@pytest.fixture(scope="module")
def board():
    from bitspin.sim.virtual_board.devices import start_device
    with start_device(ising=PARAMS, gan_engine=ENGINE, gan_image=engine_image(ENGINE)) as vb:
        yield vb


class _Faults:
    """A transport that injects one fault into the next request (at a random byte)."""

    def __init__(self, inner, rng, kind):
        self.inner, self.rng, self.kind = inner, rng, kind

    def write(self, data):
        if self.kind is not None and len(data) > 2:
            data, at = bytearray(data), int(self.rng.integers(1, len(data)))
            if self.kind == "flip":
                data[at] ^= 1 << int(self.rng.integers(8))
            elif self.kind == "stray sync":
                data = bytes([REQUEST_SYNC]) + data
            elif self.kind == "truncate":
                data = data[:at]
            self.kind = None
        self.inner.write(bytes(data))

    def read(self, size, timeout):
        return self.inner.read(size, timeout)

    def discard_input(self):
        self.inner.discard_input()

    def close(self):
        self.inner.close()


def _ising_job(url, rng, fault=None):
    """One Ising run on a fresh session; True if it matched golden (raises a CLEAR error or
    AssertionError otherwise)."""
    config = RunConfig(size=16, lanes=8, sweeps=int(rng.integers(10, 40)), burn_in=0,
                       seed=int(rng.integers(1 << 63)), beta=float(rng.uniform(0.3, 0.6)))
    transport = _Faults(open_transport(url, timeout=1.0), rng, fault)
    device = Device(ProtocolClient(transport, timeout=2.0), url)
    try:
        ours = IsingSampler(device).sample(config)
    finally:
        transport.close()
    golden = run("golden", config)
    assert lattice_sha256(ours.final_lattice) == lattice_sha256(golden.final_lattice)
    assert observables_sha256(ours.magnetization, ours.bond_sum) == \
        observables_sha256(golden.magnetization, golden.bond_sum)
    return True


def _gan_job(url, rng):
    """A few images on a fresh session (loading the model if the device lacks it)."""
    from bitspin.sw.device.generator import Generator
    from bitspin.sw.gan.export import load_model
    from bitspin.sw.gan.golden import GoldenGenerator
    from bitspin.sw.gan.latent import latent_from_seed
    model = load_model(engine_config(ENGINE).model)
    z = latent_from_seed(int(rng.integers(1 << 31)), 3, model.config.z_dim,
                         model.config.z_zero_threshold)
    y = rng.integers(0, 10, 3)
    with Device.open(url, timeout=2.0) as device:
        generator = Generator(device)
        generator.load_model(model)
        images = generator.generate(z, y)
    assert (images == GoldenGenerator(model).generate(z, y)).all()
    return True


def _kill_a_client(url, rng, workload, out):
    """Start a long job in another process and kill it at a random moment."""
    if workload == "ising":
        argv = ["ising", "run", "--backend", "device", "--device", url, "--size", "16",
                "--lanes", "8", "--sweeps", "4000", "--burn-in", "0"]
    else:
        argv = ["gan", "generate", "--backend", "device", "--device", url, "--model",
                str(engine_config(ENGINE).model), "--count", "40", "--seed", "1",
                "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "bitspin.sw.cli.main", *argv],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(float(rng.uniform(0.5, 4.0)))
    process.kill()
    process.wait()


def test_every_fault_is_survived(board, rng, tmp_path):
    url = board.url
    counts = {"injected": 0, "next job clear error": 0, "next job matched": 0}
    kinds = ["kill ising", "kill gan", "idle client", "flip", "stray sync", "truncate"]
    for round_ in range(ROUNDS):
        kind = kinds[round_ % len(kinds)] if round_ < len(kinds) else str(rng.choice(kinds))
        counts["injected"] += 1
        idle = None
        link_fault = None
        if kind.startswith("kill"):
            _kill_a_client(url, rng, kind.split()[1], tmp_path / "images.npz")
        elif kind == "idle client":
            host, port = url.removeprefix("socket://").split(":")
            idle = socket.create_connection((host, int(port)))
        else:
            link_fault = kind
        try:
            _ising_job(url, rng, link_fault)
            counts["next job matched"] += 1
        except CLEAR as error:
            counts["next job clear error"] += 1
            print(f"round {round_} ({kind}): clear error: {error}")
        finally:
            if idle is not None:
                idle.close()
                time.sleep(0.2)
        assert _ising_job(url, rng), f"round {round_} ({kind}): the job after did not match"
        if kind == "kill gan":
            assert _gan_job(url, rng), f"round {round_}: the GAN job after did not match"
    print("fault campaign:", counts)
    assert counts["injected"] == ROUNDS
