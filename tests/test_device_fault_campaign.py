"""A bounded fault campaign against a virtual board: clients killed at random moments of Ising
and GAN jobs, a second client left idle, and every link fault of ``tests/link_faults.py``
(requests and answers dropped, delayed, duplicated, truncated, corrupted, stray sync bytes),
each aimed at a random request of a whole Ising or GAN session. After every fault the job
either matches the golden model bit for bit or fails with a clear error, and the one after it
matches. The counts, and the requests the link faults struck, are printed."""

import socket
import subprocess
import sys
import time

import numpy as np

import pytest

from bitspin.sw.device.client import ProtocolClient
from bitspin.sw.device.device import Device
from bitspin.sw.device.errors import DeviceError
from bitspin.sw.device.ising_sampler import IsingSampler
from bitspin.sw.device.transport import open_transport
from bitspin.sw.gan.engine_configs import engine_config
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import lattice_sha256, observables_sha256
from tests.link_faults import KINDS, FaultyLink
from tests.device_board import ENGINE, board  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
ROUNDS = 4                  # rounds of process faults (kills, idle client)
#: What a job may raise after a fault: a clear error, never a wrong result.
CLEAR = (DeviceError, ConnectionError)


def _ising_job(url, rng, transport=None):
    """One Ising run on a fresh session over ``transport`` (a plain one if None); returns if
    it matched golden, raises a CLEAR error or AssertionError otherwise."""
    config = RunConfig(size=16, lanes=8, sweeps=int(rng.integers(10, 40)), burn_in=0,
                       seed=int(rng.integers(1 << 63)), beta=float(rng.uniform(0.3, 0.6)),
                       init=str(rng.choice(["hot", "cold"])))
    transport = transport or open_transport(url, timeout=1.0)
    try:
        device = Device(ProtocolClient(transport, timeout=0.5), url)
        ours = IsingSampler(device).sample(config)
    finally:
        transport.close()
    golden = run("golden", config)
    assert lattice_sha256(ours.final_lattice) == lattice_sha256(golden.final_lattice)
    assert observables_sha256(ours.magnetization, ours.bond_sum) == \
        observables_sha256(golden.magnetization, golden.bond_sum)


def _gan_job(url, rng, transport=None):
    """A few images on a fresh session (loading the model if the device lacks it)."""
    from bitspin.sw.device.generator import Generator
    from bitspin.sw.gan.export import load_model
    from bitspin.sw.gan.golden import GoldenGenerator
    from bitspin.sw.gan.latent import latent_from_seed
    model = load_model(engine_config(ENGINE).model)
    z = latent_from_seed(int(rng.integers(1 << 31)), 3, model.config.z_dim,
                         model.config.z_zero_threshold)
    y = rng.integers(0, 10, 3)
    transport = transport or open_transport(url, timeout=1.0)
    try:
        generator = Generator(Device(ProtocolClient(transport, timeout=0.5), url))
        generator.load_model(model)
        images = generator.generate(z, y)
    finally:
        transport.close()
    assert (images == GoldenGenerator(model).generate(z, y)).all()


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


def _requests_per_job(url, rng) -> dict:
    """Requests of one clean session of each job (the range link faults are aimed at)."""
    _gan_job(url, rng)                  # the model is loaded once, before counting
    counts = {}
    for name, job in (("ising", _ising_job), ("gan", _gan_job)):
        counter = FaultyLink(open_transport(url, timeout=1.0), rng, "drop", -1)  # no fault
        job(url, rng, counter)
        counts[name] = counter.requests
    return counts


def test_every_fault_is_survived(board, rng, tmp_path):
    url = board.url
    counts = {"injected": 0, "job matched": 0, "job clear error": 0, "job after matched": 0}
    struck: dict[str, int] = {}
    jobs = {"ising": _ising_job, "gan": _gan_job}
    span = _requests_per_job(url, rng)
    print("requests per clean session:", span)
    # Every link fault on both jobs, then process faults.
    plan = [(kind, job) for kind in KINDS for job in jobs]
    process_faults = ["kill ising", "kill gan", "idle client"]
    process_faults += [str(rng.choice(process_faults)) for _ in range(ROUNDS - 3)]
    plan += [(kind, "ising") for kind in process_faults]
    for round_, (kind, job) in enumerate(plan):
        counts["injected"] += 1
        idle, link = None, None
        if kind.startswith("kill"):
            job = kind.split()[1]
            _kill_a_client(url, rng, job, tmp_path / "images.npz")
        elif kind == "idle client":
            host, port = url.removeprefix("socket://").split(":")
            idle = socket.create_connection((host, int(port)))
        else:
            link = FaultyLink(open_transport(url, timeout=1.0), rng, kind,
                              int(rng.integers(0, span[job])))
        try:
            jobs[job](url, rng, link)
            counts["job matched"] += 1
        except CLEAR as error:
            counts["job clear error"] += 1
            print(f"round {round_} ({kind}, {job}): clear error: {error}")
        finally:
            if idle is not None:
                idle.close()
                time.sleep(0.2)
        if link is not None:
            hit = link.hit or "nothing (the session ended first)"
            struck[hit] = struck.get(hit, 0) + 1
        jobs[job](url, rng)             # the job after the fault must match: it raises if not
        counts["job after matched"] += 1
    print("fault campaign:", counts)
    print("requests struck by link faults:", dict(sorted(struck.items())))
    assert counts["injected"] == len(plan) == counts["job after matched"]


@pytest.mark.parametrize("kind", ["stray sync", "drop", "delay answer", "duplicate"])
def test_a_fault_at_every_request_of_a_session(board, kind):
    """One short Ising session, faulted at each of its requests in turn (its opening, every
    register access, start, poll and pop): each either matches the golden model or fails with
    a clear error, and the session after it matches."""
    config = RunConfig(size=16, lanes=8, sweeps=6, burn_in=0, seed=12345, beta=0.44)
    golden = run("golden", config)
    expected = (lattice_sha256(golden.final_lattice),
                observables_sha256(golden.magnetization, golden.bond_sum))
    rng = np.random.default_rng(7)

    def session(transport):
        try:
            device = Device(ProtocolClient(transport, timeout=0.3), board.url)
            ours = IsingSampler(device).sample(config)
        finally:
            transport.close()
        assert (lattice_sha256(ours.final_lattice),
                observables_sha256(ours.magnetization, ours.bond_sum)) == expected

    counter = FaultyLink(open_transport(board.url, timeout=1.0), rng, kind, -1)
    session(counter)
    outcomes = {"matched": 0, "clear error": 0}
    for at in range(counter.requests):
        link = FaultyLink(open_transport(board.url, timeout=1.0), rng, kind, at)
        try:
            session(link)
            outcomes["matched"] += 1
        except CLEAR:
            outcomes["clear error"] += 1
            session(open_transport(board.url, timeout=1.0))     # the next session matches
    # (After a faulted session that matched, the next faulted one is the session after it.)
    session(open_transport(board.url, timeout=1.0))
    print(f"{kind} at each of {counter.requests} requests: {outcomes}")
