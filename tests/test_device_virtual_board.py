"""End to end through the virtual board: the host library against the device top in Verilator.

One board (an L=16, P=8 Ising core and the iCEBreaker GAN engine, whose weights the host loads
over the link) serves the whole module; the first build takes a few minutes, later ones come
from the cache.
"""

import hashlib
import socket
import time

import numpy as np
import pytest

from bitspin.hw.device.register_map import Opcode
from bitspin.sw.device.client import ProtocolClient
from bitspin.sw.device.device import Device
from bitspin.sw.device.errors import DeviceRejected, IdentityMismatch, LinkError
from bitspin.sw.device.frames import encode_request
from bitspin.sw.device.generator import Generator
from bitspin.sw.device.ising_sampler import IsingSampler
from bitspin.sw.device.transport import open_transport
from bitspin.sw.gan.engine_configs import engine_config
from bitspin.sw.gan.export import load_model
from bitspin.sw.gan.golden import GoldenGenerator
from bitspin.sw.gan.latent import latent_from_seed
from bitspin.sw.ising.backends import RunConfig, run
from bitspin.sw.ising.report import lattice_sha256, observables_sha256
from tests.device_board import ENGINE, PARAMS, board, loaded_model  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


@pytest.fixture
def device(board):
    with Device.open(board.url, timeout=2.0) as dev:
        yield dev


def test_identity_and_register_map(device):
    assert device.identity.ising.size == 16
    assert device.identity.gan.weights_in_spram is True
    device.write("SCRATCH", 0x12345678)
    assert device.read("SCRATCH") == 0x12345678
    a, b = device.cycles(), device.cycles()
    assert b > a


@pytest.mark.parametrize("case", range(3))
def test_ising_runs_match_golden(device, rng, case):
    config = RunConfig(size=16, lanes=8, sweeps=int(rng.integers(20, 120)),
                       burn_in=int(rng.integers(0, 10)), seed=int(rng.integers(1 << 63)),
                       beta=float(rng.uniform(0.2, 0.7)),
                       algorithm=str(rng.choice(["metropolis", "heatbath"])),
                       field=float(rng.choice([0.0, 0.3])), init=str(rng.choice(["hot", "cold"])))
    ours = IsingSampler(device).sample(config)
    golden = run("golden", config)
    assert lattice_sha256(ours.final_lattice) == lattice_sha256(golden.final_lattice)
    assert observables_sha256(ours.magnetization, ours.bond_sum) == \
        observables_sha256(golden.magnetization, golden.bond_sum)
    assert ours.flips == golden.flips
    # The run ends with one read-only pass that measures the state after the last sweep.
    measure_pass = PARAMS.measure_pass_cycles
    assert ours.device_cycles == config.sweeps * PARAMS.cycles_per_sweep + measure_pass


@pytest.mark.parametrize("left_running", [False, True], ids=["leftovers", "stuck-run"])
def test_a_client_that_vanishes_mid_job_leaves_nothing_behind(board, rng, left_running):
    # A client starts a RUN and disappears: either after the run finished with its (M, B) words
    # still in the FIFO (they used to become the next job's results), or mid-run with the FIFO
    # full and the core stalled (every later run used to fail as "still busy").
    from bitspin.hw.ising.params import IsingOp
    with Device.open(board.url, timeout=2.0) as gone:
        gone.write("ISING_SWEEPS", 5000 if left_running else 10)
        gone.write("ISING_COMMAND", IsingOp.RUN.value)
        time.sleep(0.5)
        assert gone.read("ISING_OBS_LEVEL") > 0
    config = RunConfig(size=16, lanes=8, sweeps=int(rng.integers(20, 60)), burn_in=0,
                       seed=int(rng.integers(1 << 63)), beta=0.44)
    with Device.open(board.url, timeout=2.0) as device:
        ours = IsingSampler(device).sample(config)
    golden = run("golden", config)
    assert lattice_sha256(ours.final_lattice) == lattice_sha256(golden.final_lattice)
    assert observables_sha256(ours.magnetization, ours.bond_sum) == \
        observables_sha256(golden.magnetization, golden.bond_sum)


def test_images_left_in_the_fifo_are_not_the_next_session_s(board, loaded_model, rng):
    with Device.open(board.url, timeout=2.0) as gone:
        for _ in range(2):                       # two images' pixels left unread
            while not gone.read("GAN_STATUS") & 2:
                time.sleep(0.01)
            gone.write("GAN_LABEL", int(rng.integers(10)))
            gone.write("GAN_COMMAND", 1)
        time.sleep(0.3)
        assert gone.read("GAN_PIXEL_LEVEL") > 0
    config = loaded_model.config
    z = latent_from_seed(int(rng.integers(1 << 31)), 3, config.z_dim, config.z_zero_threshold)
    y = rng.integers(0, 10, 3)
    with Device.open(board.url, timeout=2.0) as device:
        generator = Generator(device)
        generator.load_model(loaded_model)       # the model survives the abort: no transfer
        images = generator.generate(z, y)
    assert (images == GoldenGenerator(loaded_model).generate(z, y)).all()


def test_lattice_round_trip(device, rng):
    sampler = IsingSampler(device)
    lattice = rng.integers(0, 2, (16, 16)).astype(np.uint8)
    sampler.write_lattice(lattice)
    assert np.array_equal(sampler.read_lattice(), lattice)


def test_gan_images_match_golden(device, loaded_model, rng):
    config = loaded_model.config
    z = latent_from_seed(int(rng.integers(1 << 31)), 4, config.z_dim, config.z_zero_threshold)
    y = rng.integers(0, 10, 4)
    generator = Generator(device)
    generator.load_model(loaded_model)          # already loaded: the tag matches, no transfer
    images = generator.generate(z, y)
    expected = GoldenGenerator(loaded_model).generate(z, y)
    assert hashlib.sha256(images.tobytes()).hexdigest() == \
        hashlib.sha256(expected.tobytes()).hexdigest()


def test_wrong_design_is_refused(device):
    with pytest.raises(IdentityMismatch, match="built for L=16"):
        IsingSampler(device).check(size=32)
    with pytest.raises(IdentityMismatch, match="architecture"):
        Generator(device).load_model(load_model(engine_config("ulx3s").model))


def test_cli_refuses_a_device_built_for_another_lattice(board, capsys):
    from bitspin.sw.cli.main import main
    code = main(["ising", "run", "--backend", "device", "--device", board.url, "--size", "32",
                 "--sweeps", "10", "--burn-in", "0"])
    assert code == 1
    assert "built for L=16" in capsys.readouterr().err


# Fault injection ---------------------------------------------------------------------------

class FaultyTransport:
    """A transport that corrupts what passes through it, on request."""

    def __init__(self, inner, rng):
        self.inner, self.rng = inner, rng
        self.flip_next_write = self.flip_next_read = False
        self.prefix_next_write = b""

    def write(self, data):
        data, self.prefix_next_write = self.prefix_next_write + data, b""
        if self.flip_next_write:
            self.flip_next_write = False
            data = bytearray(data)
            data[int(self.rng.integers(1, len(data)))] ^= 1 << int(self.rng.integers(8))
        self.inner.write(bytes(data))

    def read(self, size, timeout):
        data = self.inner.read(size, timeout)
        if self.flip_next_read and data:
            self.flip_next_read = False
            data = bytearray(data)
            data[int(self.rng.integers(len(data)))] ^= 1 << int(self.rng.integers(8))
        return bytes(data)

    def discard_input(self):
        self.inner.discard_input()

    def close(self):
        self.inner.close()


@pytest.fixture
def faulty(board, rng):
    transport = FaultyTransport(open_transport(board.url, timeout=1.0), rng)
    client = ProtocolClient(transport, timeout=0.5, retries=3)
    yield transport, client
    transport.close()


def _still_answers(client):
    client.ping(b"still there")
    address = Device(client).registers.address("SCRATCH")
    client.write(address, [0xA5A5A5A5])
    assert client.read(address, 1) == [0xA5A5A5A5]


def test_garbage_before_a_request(faulty, rng):
    transport, client = faulty
    garbage = rng.integers(0, 256, int(rng.integers(1, 600)), dtype=np.uint8).tobytes()
    transport.inner.write(garbage)
    time.sleep(0.05)        # past the device's inter-byte timeout if the garbage began a frame
    _still_answers(client)


def test_flipped_bit_in_a_request_is_retried(faulty):
    transport, client = faulty
    transport.flip_next_write = True
    assert client.ping(b"payload") > 0
    assert client.stats["retries"] >= 1
    _still_answers(client)


def test_flipped_bit_in_an_answer_is_never_returned(faulty):
    transport, client = faulty
    device = Device(client)
    device.write("SCRATCH", 0x0BADF00D)
    transport.flip_next_read = True
    assert device.read("SCRATCH") == 0x0BADF00D          # idempotent: retried, right value
    # A FIFO read cannot be repeated: a corrupted answer must raise, not return bad words.
    transport.flip_next_read = True
    with pytest.raises(LinkError, match="may or may not have run"):
        device.pop("ISING_OBS_DATA", 2)
    _still_answers(client)


def test_a_rejection_is_never_taken_for_the_answer_to_a_request(faulty, loaded_model):
    # A stray sync byte before a request makes the device reject "a frame" whose seq byte is
    # the request's opcode. With the client's seq forced to that value, a client that matched
    # rejections by seq would take it for its own, decide the request never ran and send it
    # again: a push into the load port, which is not idempotent, would then run twice.
    from bitspin.hw.protocol.frame_format import REQUEST_SYNC
    transport, client = faulty
    device = Device(client)
    data = device.registers.address("GAN_LOAD_DATA")

    def pushes_to_next_word() -> int:
        """Single pushes until the load port writes a word (and stands at a word's start)."""
        start = device.read("GAN_LOAD_ADDR")
        for count in range(1, 65):
            client.write(data, [0], idempotent=False)
            if device.read("GAN_LOAD_ADDR") != start:
                return count
        raise AssertionError("the load address never moved")

    def pushes_left_after_one(prefix: bytes) -> int:
        client.seq = Opcode.WRITE - 1                      # the next request has seq = WRITE
        transport.prefix_next_write = prefix
        client.write(data, [0x12345678], idempotent=False)
        return pushes_to_next_word()
    try:
        device.write("GAN_MODEL_TAG", 0)                  # the model is about to be changed
        pushes_to_next_word()                             # align to a word's start
        clean = pushes_left_after_one(b"")
        rejections = client.stats.get("rejections", 0)
        assert pushes_left_after_one(bytes([REQUEST_SYNC])) == clean
        assert client.stats.get("rejections") == rejections + 1
    finally:
        Generator(device).load_model(loaded_model)        # restore the weights for other tests
    _still_answers(client)


def test_truncated_frame_then_recovery(faulty, rng):
    transport, client = faulty
    frame = encode_request(Opcode.PING, 7, bytes(200))
    transport.inner.write(frame[:int(rng.integers(1, len(frame) - 1))])
    _still_answers(client)


def test_connection_dropped_mid_transfer(board):
    frame = encode_request(Opcode.PING, 9, bytes(900))
    host, port = board.url.removeprefix("socket://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(frame[:300])
    time.sleep(0.05)
    with Device.open(board.url, timeout=2.0) as device:
        _still_answers(device.client)


def test_unmapped_addresses_are_errors_not_zeros(device):
    ranges = device.registers.ranges()
    hole = ranges[0][1]                            # the first address past the system block
    assert all(not start <= hole < end for start, end in ranges)
    with pytest.raises(DeviceRejected, match="BAD_ARGUMENT"):
        device.client.read(hole, 1)
    with pytest.raises(DeviceRejected, match="BAD_ARGUMENT"):
        device.client.write(hole, [1])
    with pytest.raises(DeviceRejected, match="BAD_ARGUMENT"):
        device.client.read(0xFFFF, 2)              # no wrap to address 0
    assert device.client.read(0, 1) == [device.read("MAGIC")]


def test_bad_arguments_are_rejected(device):
    with pytest.raises(DeviceRejected):
        device.client.request(Opcode.READ, b"\x00\x00")      # too short
    with pytest.raises(DeviceRejected):
        device.client.request(0x7E, b"")                      # unknown opcode
    _still_answers(device.client)


def test_bench_device_rate_is_the_device_compute_time_not_the_link(board):
    """The link is far slower than this core (a sweep is 44 clocks), so the core waits for the
    host; the bench's figure still comes from the compute clocks alone."""
    from bitspin.sw.bench.ising import device_runs
    from bitspin.sw.energy import StatedPowerMeter
    sweeps = 400
    entry = device_runs(board.url, 16, 8, sweeps, repeats=2, meter=StatedPowerMeter(2.0))
    measure_pass = PARAMS.measure_pass_cycles
    assert entry["device_cycles"] == [sweeps * PARAMS.cycles_per_sweep + measure_pass] * 2
    assert min(entry["device_stall_cycles"]) > 0
    seconds = entry["device_cycles"][0] / entry["design_clock_hz"]
    assert entry["spin_updates_per_ns"] == pytest.approx(sweeps * 256 / seconds / 1e9)
    assert entry["host_spin_updates_per_ns"] < entry["spin_updates_per_ns"]
    assert entry["energy_per_update_nj"] == pytest.approx(2.0 * seconds / (sweeps * 256) * 1e9)
    assert entry["virtual_board"] and "virtual board" in entry["energy_source"]


def test_bench_device_images_per_second_from_the_device_counter(board):
    from bitspin.hw.gan.plan import plan_engine
    from bitspin.sw.bench.gan import device_images
    target = engine_config(ENGINE)
    entry = device_images(board.url, ENGINE, count=2, repeats=2)
    cycles = plan_engine(target.architecture(), target.params).cycles_per_image
    assert entry["device_cycles_per_image"] == cycles
    assert entry["images_per_s"] == pytest.approx(entry["design_clock_hz"] / cycles)
    assert entry["images_per_s_min"] == entry["images_per_s_max"]
    assert entry["energy_per_image_uj"] is None and entry["energy_source"] == "not measured"
