"""bitspin.sim.virtual_board: a Verilated device behind socket://, opened with pyserial like a real board."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import serial
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.uart import UARTReceiver, UARTTransmitter
from bitspin.hw.uart_loopback import UARTLoopback
from bitspin.sim.virtual_board import (LoopbackBoard, VirtualBoard, VirtualBoardError,
                               build_virtual_board)

DIVISOR = 4
PROBE_DELAY = 3_000_000
REPO = Path(__file__).resolve().parent.parent


class ProbeBoard(wiring.Component):
    """Test-only top: after each received command byte it waits ``delay`` clocks, then answers.

    Bit 7 of the command raises ``activity`` during the wait (without it the harness stops the
    clock and no answer comes); bit 6 puts a break (``tx`` low for 12 bit times: a framing error)
    before the answer. The answer is the command byte. A command that arrives during the wait
    replaces the one waiting.
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)
    activity: Out(1)

    def __init__(self, divisor: int, delay: int):
        self.divisor = divisor
        self.delay = delay
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.receiver = receiver = UARTReceiver(self.divisor)
        m.submodules.transmitter = transmitter = UARTTransmitter(self.divisor)
        command = Signal(8)
        countdown = Signal(range(max(self.delay, 12 * self.divisor) + 1))
        m.d.comb += [receiver.rx.eq(self.rx), receiver.o_stream.ready.eq(1),
                     transmitter.i_stream.payload.eq(command), self.tx.eq(transmitter.tx)]

        def accept_command():
            with m.If(receiver.o_stream.valid):
                m.d.sync += [command.eq(receiver.o_stream.payload), countdown.eq(self.delay)]
                m.next = "DELAY"

        with m.FSM():
            with m.State("IDLE"):
                accept_command()
            with m.State("DELAY"):
                m.d.comb += self.activity.eq(command[7])
                m.d.sync += countdown.eq(countdown - 1)
                with m.If(countdown == 0):
                    m.d.sync += countdown.eq(12 * self.divisor)
                    m.next = "DECIDE"
                accept_command()
            with m.State("DECIDE"):
                m.d.comb += self.activity.eq(1)
                m.next = "BREAK"
                with m.If(~command[6]):
                    m.next = "ANSWER"
            with m.State("BREAK"):
                m.d.comb += [self.tx.eq(0), self.activity.eq(1)]
                m.d.sync += countdown.eq(countdown - 1)
                with m.If(countdown == 0):
                    m.next = "ANSWER"
            with m.State("ANSWER"):
                m.d.comb += [transmitter.i_stream.valid.eq(1), self.activity.eq(1)]
                with m.If(transmitter.i_stream.ready):
                    m.next = "IDLE"
        return m


@pytest.fixture(scope="module")
def board():
    with VirtualBoard(LoopbackBoard(DIVISOR), DIVISOR) as running:
        yield running


def _echo(link, data: bytes) -> bytes:
    link.write(data)
    return link.read(len(data))


def test_random_strings_come_back_exactly(board, rng):
    with serial.serial_for_url(board.url, timeout=10) as link:
        for _ in range(8):
            data = rng.integers(0, 256, int(rng.integers(1, 4097)), dtype="uint8").tobytes()
            assert _echo(link, data) == data


def test_reconnecting_finds_the_same_board(board, rng):
    for _ in range(4):
        with serial.serial_for_url(board.url, timeout=10) as link:
            data = rng.integers(0, 256, int(rng.integers(1, 300)), dtype="uint8").tobytes()
            assert _echo(link, data) == data
        assert board.running()


def test_a_client_that_leaves_early_does_not_disturb_the_next(rng):
    with VirtualBoard(LoopbackBoard(DIVISOR), DIVISOR) as running:
        with socket.create_connection(("127.0.0.1", running.port)) as abrupt:
            abrupt.sendall(rng.integers(0, 256, 3000, dtype="uint8").tobytes())
        time.sleep(0.3)  # what was already on the line is echoed to nobody meanwhile
        with serial.serial_for_url(running.url, timeout=10) as link:
            data = rng.integers(0, 256, 500, dtype="uint8").tobytes()
            assert _echo(link, data) == data
            link.timeout = 0.2
            assert link.read(1) == b""  # nothing stale from the first client
    stats = running.stats
    assert stats["connections"] == 2 and stats["framing_errors"] == 0
    # Every byte shifted in was echoed: to a client, or dropped at a disconnect.
    assert stats["bytes_in"] == stats["bytes_out"] + stats["dropped_in"] + stats["dropped_out"]
    assert stats["dropped_in"] + stats["dropped_out"] > 0


def test_a_second_client_is_told_at_once_that_the_board_is_busy(rng):
    from bitspin.sw.device.client import ProtocolClient
    from bitspin.sw.device.transport import open_transport
    with VirtualBoard(LoopbackBoard(DIVISOR), DIVISOR) as running:
        with serial.serial_for_url(running.url, timeout=10) as first:    # open and idle
            assert _echo(first, b"first") == b"first"
            start = time.monotonic()
            client = ProtocolClient(open_transport(running.url), timeout=5.0)
            with pytest.raises(ConnectionError, match="busy: another client is connected"):
                client.ping()
            assert time.monotonic() - start < 3        # not a timeout
            client.transport.close()
            data = rng.integers(0, 256, 100, dtype="uint8").tobytes()
            assert _echo(first, data) == data          # the first client never noticed
        with serial.serial_for_url(running.url, timeout=10) as later:    # free again
            assert _echo(later, b"later") == b"later"
    assert running.stats["refused"] == 1 and running.stats["connections"] == 2


def test_an_idle_board_stops_its_clock():
    with VirtualBoard(LoopbackBoard(DIVISOR), DIVISOR) as running:
        time.sleep(0.5)
        started = time.monotonic()
    assert time.monotonic() - started < 2  # SIGTERM ends the process promptly
    # Reset, the quiet period (4096 clocks) rounded up to whole polling chunks of 1024, and no more.
    assert running.stats["cycles"] < 8 * 1024


def test_throughput(rng):
    """Not a speed test (the machine is shared): it prints bytes/s and cycles/s."""
    data = rng.integers(0, 256, 256 * 1024, dtype="uint8").tobytes()
    # One idle clock after each stop bit matches the transmitter's 10 * divisor + 1 clock
    # frames, so a sustained stream never overruns the loopback FIFO.
    with VirtualBoard(LoopbackBoard(DIVISOR), DIVISOR, gap_cycles=1) as running:
        with serial.serial_for_url(running.url, timeout=30) as link:
            assert _echo(link, b"warm") == b"warm"
            started = time.perf_counter()
            writer = threading.Thread(target=link.write, args=(data,))
            writer.start()
            echoed = link.read(len(data))
            elapsed = time.perf_counter() - started
            writer.join()
    assert echoed == data
    stats = running.stats
    print(f"\nloopback at divisor {DIVISOR}: {len(data) / elapsed / 1e3:.0f} KB/s each way; "
          f"{stats['cycles'] / stats['cpu_s'] / 1e6:.1f} M cycles per CPU second")


@pytest.fixture(scope="module")
def probe():
    design = ProbeBoard(DIVISOR, delay=PROBE_DELAY)
    with VirtualBoard(design, DIVISOR) as running:
        yield running


def test_activity_keeps_the_clock_running(probe):
    with serial.serial_for_url(probe.url, timeout=20) as link:
        started = time.perf_counter()
        link.write(b"\x85")
        assert link.read(1) == b"\x85"
        elapsed = time.perf_counter() - started
    print(f"\n{PROBE_DELAY / 1e6:.0f} M clocks of activity in {elapsed:.2f} s: "
          f"{PROBE_DELAY / elapsed / 1e6:.1f} M cycles/s")


def test_without_activity_the_clock_stops(probe):
    with serial.serial_for_url(probe.url, timeout=0.5) as link:
        link.write(b"\x05")
        assert link.read(1) == b""  # the board waits for traffic, in simulated time
        link.write(b"\x86")  # the next frame restarts the clock; this one holds it
        link.timeout = 20
        assert link.read(1) == b"\x86"


def test_framing_errors_are_counted(probe):
    with VirtualBoard(None, DIVISOR, executable=probe.executable) as running:
        with serial.serial_for_url(running.url, timeout=20) as link:
            link.write(b"\xc1")  # a break, then the answer: the decoder must resynchronize
            assert link.read(1) == b"\xc1"
    assert running.stats["framing_errors"] == 1
    assert running.stats["bytes_in"] == running.stats["bytes_out"] == 1


def test_a_port_in_use_is_reported():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(VirtualBoardError, match=f"cannot listen on 127.0.0.1:{port}"):
            VirtualBoard(LoopbackBoard(DIVISOR), DIVISOR, port=port)


def test_the_top_contract_is_checked():
    with pytest.raises(TypeError, match="no `activity` port"):
        build_virtual_board(UARTLoopback(DIVISOR), divisor=DIVISOR)
    with pytest.raises(ValueError, match="divisor 4"):
        build_virtual_board(LoopbackBoard(DIVISOR), divisor=8)


_SERVE = """
import sys
from bitspin.sim.virtual_board import LoopbackBoard, serve
stats = serve(LoopbackBoard(4), 4, 0, announce=lambda line: print(line, flush=True))
print("STOPPED", stats["connections"], flush=True)
"""

_ORPHAN = """
import os
from bitspin.sim.virtual_board import LoopbackBoard, VirtualBoard
board = VirtualBoard(LoopbackBoard(4), 4)
print(board.pid, flush=True)
os._exit(0)  # no close(): the harness must notice its stdin closing
"""


def _python(code: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=env, cwd=REPO, start_new_session=True)


def test_serve_runs_until_ctrl_c():
    process = _python(_SERVE)
    try:
        line = process.stdout.readline()
        url = next((word for word in line.split() if word.startswith("socket://")), None)
        assert url and url.startswith("socket://127.0.0.1:"), line
        with serial.serial_for_url(url, timeout=10) as link:
            assert _echo(link, b"ping") == b"ping"
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        assert process.wait(20) == 0
        assert process.stdout.read().split() == ["STOPPED", "1"]
    finally:
        if process.poll() is None:
            process.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited; its reaper may be slow


def test_the_board_ends_with_its_parent():
    process = _python(_ORPHAN)
    pid = int(process.stdout.readline())
    assert process.wait(20) == 0
    deadline = time.monotonic() + 5
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the virtual board outlived the process that started it")
        time.sleep(0.05)
