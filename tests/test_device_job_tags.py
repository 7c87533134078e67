"""Job tags and unknown fates, end to end through the virtual board.

A start, a lattice strobe or an answer lost on the link is recovered from the device's job
state; a duplicated start is caught; output that begins with another job's header is refused;
a rejection names no request. Each fault comes from ``tests/link_faults.py``, aimed at one
request of a whole session; the result must match the golden model or fail with a clear error.
"""

import socket

import pytest

from bitspin.hw.device.register_map import device_register_map
from bitspin.hw.ising.params import IsingOp
from bitspin.hw.protocol.frame_format import REJECTION_SEQ, RESPONSE_SYNC, Status
from bitspin.sw.device.client import ProtocolClient
from bitspin.sw.device.device import Device
from bitspin.sw.device.errors import DeviceError, OutputMismatch
from bitspin.sw.device.frames import FrameParser, encode_request
from bitspin.sw.device.generator import Generator
from bitspin.sw.device.ising_sampler import IsingSampler
from bitspin.sw.device.transport import open_transport
from bitspin.sw.gan.engine_configs import engine_image
from bitspin.sw.gan.golden import GoldenGenerator
from bitspin.sw.gan.latent import latent_from_seed
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import lattice_sha256, observables_sha256
from tests.link_faults import FaultyLink
from tests.device_board import ENGINE, PARAMS, board, loaded_model  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
REGISTERS = device_register_map(ising=PARAMS, gan_plan=engine_image(ENGINE).plan)


def _write(name: str, value: int) -> str:
    """How FaultyLink names a one-word write of ``value`` to register ``name``."""
    return f"WRITE {REGISTERS.address(name):#06x} ={value}"


def _config(rng, **overrides):
    return RunConfig(**{"size": 16, "lanes": 8, "sweeps": int(rng.integers(20, 60)),
                        "burn_in": 0, "seed": int(rng.integers(1 << 63)),
                        "beta": float(rng.uniform(0.3, 0.6)), "init": "hot", **overrides})


def _faulty_session(board, rng, kind, at):
    link = FaultyLink(open_transport(board.url, timeout=1.0), rng, kind, at)
    return link, Device(ProtocolClient(link, timeout=0.5, retries=3), board.url)


def _assert_golden(ours, config):
    golden = run("golden", config)
    assert lattice_sha256(ours.final_lattice) == lattice_sha256(golden.final_lattice)
    assert observables_sha256(ours.magnetization, ours.bond_sum) == \
        observables_sha256(golden.magnetization, golden.bond_sum)


@pytest.mark.parametrize("op", [IsingOp.INIT_HOT, IsingOp.RUN])
@pytest.mark.parametrize("kind", ["drop", "flip", "stray sync", "gap", "drop answer",
                                  "delay answer"])
def test_a_start_of_unknown_fate_is_recovered_from_the_job_state(board, rng, kind, op):
    # Without recovery, a lost answer to a start is a LinkError ("may or may not have run");
    # with JOB_STARTS the host knows, and the run completes bit-exact.
    config = _config(rng)
    link, device = _faulty_session(board, rng, kind, _write("ISING_COMMAND", op.value))
    try:
        ours = IsingSampler(device).sample(config)
    finally:
        link.close()
    assert link.hit is not None
    _assert_golden(ours, config)


@pytest.mark.parametrize("kind", ["drop", "drop answer", "delay answer"])
def test_a_lattice_strobe_of_unknown_fate_is_recovered(board, rng, kind):
    import numpy as np
    lattice = (rng.random((16, 16)) < 0.5).astype(np.uint8)
    link, device = _faulty_session(board, rng, kind, _write("ISING_LATTICE_WRITE", 1))
    try:
        sampler = IsingSampler(device)
        sampler.write_lattice(lattice)
        assert (sampler.read_lattice() == lattice).all()
    finally:
        link.close()
    assert link.hit is not None


def test_a_duplicated_start_is_caught_or_harmless(board, rng):
    # A second INIT_HOT behind the host's back would draw a different lattice; JOB_STARTS
    # shows it. (If the core was still busy with the first, it ignored the copy: no harm.)
    config = _config(rng)
    link, device = _faulty_session(board, rng, "duplicate",
                                   _write("ISING_COMMAND", IsingOp.INIT_HOT.value))
    try:
        ours = IsingSampler(device).sample(config)
    except DeviceError as error:
        assert "duplicated" in str(error)
    else:
        _assert_golden(ours, config)
    finally:
        link.close()
    assert link.hit is not None


def test_a_job_in_flight_that_this_host_did_not_start_is_refused(board):
    # A RUN this session did not start (as another host's would be) holds the core: the tag
    # write is ignored while it runs, and the sampler says so instead of starting.
    with Device.open(board.url, timeout=2.0) as device:
        device.write("ISING_JOB_TAG", 0x1234)
        device.write("ISING_SWEEPS", 3000)
        device.write("ISING_COMMAND", IsingOp.RUN.value)
        with pytest.raises(DeviceError, match="in flight"):
            IsingSampler(device).run(10)


def test_another_job_s_observables_are_refused(board):
    # Records of a finished RUN that nobody read sit before this run's: each record's tag
    # shows whose it is.
    with Device.open(board.url, timeout=2.0) as device:
        device.write("ISING_JOB_TAG", 0x1234)
        device.write("ISING_SWEEPS", 5)
        device.write("ISING_COMMAND", IsingOp.RUN.value)
        IsingSampler(device).wait_idle(10.0)
        with pytest.raises(OutputMismatch, match="0x1234"):
            IsingSampler(device).run(10)


def test_gan_start_of_unknown_fate_is_recovered(board, loaded_model, rng):
    config = loaded_model.config
    z = latent_from_seed(int(rng.integers(1 << 31)), 3, config.z_dim, config.z_zero_threshold)
    y = rng.integers(0, 10, 3)
    link = FaultyLink(open_transport(board.url, timeout=1.0), rng, "drop answer",
                      _write("GAN_COMMAND", 1))
    device = Device(ProtocolClient(link, timeout=0.5, retries=3), board.url)
    try:
        images = Generator(device).generate(z, y)
    finally:
        link.close()
    assert link.hit is not None
    assert (images == GoldenGenerator(loaded_model).generate(z, y)).all()


def test_another_job_s_image_is_refused(board, loaded_model, rng):
    config = loaded_model.config
    z = latent_from_seed(int(rng.integers(1 << 31)), 2, config.z_dim, config.z_zero_threshold)
    with Device.open(board.url, timeout=2.0) as device:
        device.write("GAN_JOB_TAG", 0x4321)
        device.wait_for("GAN_STATUS", 2, 2, 10.0, "not ready")
        device.write("GAN_COMMAND", 1)              # an image this session will not ask for
        with pytest.raises(DeviceError, match="in flight|0xb1754321"):
            Generator(device).generate(z, [1, 2])


def test_a_rejection_names_no_request(board):
    host, port = board.url.removeprefix("socket://").split(":")
    with socket.create_connection((host, int(port)), timeout=5.0) as sock:
        frame = bytearray(encode_request(1, 0x37, bytes(5)))
        frame[-1] ^= 0xFF                            # a bad CRC; the seq byte said 0x37
        sock.sendall(bytes(frame))
        parser, events = FrameParser(sync=RESPONSE_SYNC), []
        while not events:
            events = parser.feed(sock.recv(64))
    (reply,) = events
    assert (reply.code, reply.seq) == (Status.BAD_CRC, REJECTION_SEQ)


@pytest.mark.parametrize("kind", ["drop answer", "flip answer", "duplicate", "delay answer"])
def test_a_pop_of_unknown_fate_fails_clearly_and_the_next_run_matches(board, rng, kind):
    # Words taken from a FIFO cannot be read again: the run must fail with a clear error (or,
    # where the fault cost nothing, match), never return a shifted stream.
    config = _config(rng, sweeps=int(rng.integers(100, 200)))
    pop = f"READ {REGISTERS.address('ISING_OBS_DATA'):#06x}"
    link, device = _faulty_session(board, rng, kind, pop)
    try:
        _assert_golden(IsingSampler(device).sample(config), config)
    except DeviceError as error:
        assert "run the job again" in str(error) or "another job" in str(error) or \
            "stopped sending" in str(error)
    finally:
        link.close()
    assert link.hit is not None
    config = _config(rng)
    with Device.open(board.url, timeout=2.0) as device:
        _assert_golden(IsingSampler(device).sample(config), config)
