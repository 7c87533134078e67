"""Start and stop virtual board processes from Python.

:class:`VirtualBoard` builds the executable for a design (cached, see :mod:`.build`), starts it,
and exposes the ``socket://`` URL that pyserial's ``serial_for_url`` opens; :func:`serve` runs one
in the foreground until Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bitspin.hw.protocol.frame_format import BUSY_BANNER

from .build import build_virtual_board

__all__ = ["VirtualBoard", "VirtualBoardError", "serve", "parse_stats"]

_log = logging.getLogger(__name__)
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class VirtualBoardError(RuntimeError):
    """The virtual board process did not start, or ended on its own; the message has its stderr."""


def parse_stats(text: str) -> dict | None:
    """The statistics of the harness's ``STATS key=value ...`` line in ``text``, or None."""
    for line in reversed(text.splitlines()):
        if line.startswith("STATS "):
            stats = {}
            for field in line.split()[1:]:
                key, _, value = field.partition("=")
                stats[key] = float(value) if "." in value else int(value)
            return stats
    return None


class VirtualBoard:
    """A simulated device behind ``socket://HOST:PORT``, in a child process.

    Parameters
    ----------
    design
        The device top (``rx: In(1)``, ``tx: Out(1)``, ``activity: Out(1)``).
    divisor
        Clocks per UART bit, the one ``design`` was elaborated with.
    port
        The TCP port to listen on; 0 picks a free one (read it back from :attr:`port`).
    host
        The IPv4 address to listen on.
    name
        The Verilog module name of the top.
    gap_cycles
        Idle cycles the harness leaves on ``rx`` after each stop bit (0: frames
        back to back, as a USB-UART bridge sends a burst).
    executable
        A prebuilt harness executable; skips the build (``design`` may then be None).

    The process ends when :meth:`close` is called, when the context manager exits, or when this
    Python process dies (it watches its stdin for end of file).
    """

    def __init__(self, design, divisor: int, port: int = 0, *, host: str = "127.0.0.1",
                 name: str = "top", gap_cycles: int = 0, executable: Path | None = None):
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, not {port!r}")
        if not isinstance(gap_cycles, int) or gap_cycles < 0:
            raise ValueError(f"gap_cycles must be a non-negative integer, not {gap_cycles!r}")
        self.divisor = divisor
        self.host = host
        self.executable = Path(executable) if executable else build_virtual_board(
            design, divisor=divisor, name=name)
        self.stats: dict | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+b")
        argv = [str(self.executable), "--port", str(port), "--host", host,
                "--divisor", str(divisor), "--gap-cycles", str(gap_cycles), "--exit-on-stdin-eof",
                "--busy-message", BUSY_BANNER.decode("ascii")]
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._stderr)
        try:
            self.port = self._read_port()
        except BaseException:
            self._terminate()
            self._stderr.close()
            raise
        _log.info("virtual board %s listening on %s (pid %d)", self.executable.parent.parent.name,
                  self.url, self._process.pid)

    @property
    def url(self) -> str:
        """The pyserial URL of the board: ``socket://HOST:PORT``."""
        return f"socket://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self._process.pid

    def running(self) -> bool:
        """Whether the process is still alive."""
        return self._process.poll() is None

    def _stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _read_port(self) -> int:
        stdout = self._process.stdout
        deadline = time.monotonic() + START_TIMEOUT_S
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise VirtualBoardError(f"{self.executable} did not report its port within "
                                        f"{START_TIMEOUT_S:.0f} s")
            readable, _, _ = select.select([stdout], [], [], left)
            if not readable:
                continue
            chunk = os.read(stdout.fileno(), 1)
            if not chunk:
                self._process.wait()
                raise VirtualBoardError(
                    f"the virtual board exited at start (status {self._process.returncode}):\n"
                    + self._stderr_text().strip())
            line += chunk
        words = line.decode(errors="replace").split()
        if len(words) != 2 or words[0] != "LISTENING" or not words[1].isdigit():
            raise VirtualBoardError(f"unexpected first line from {self.executable}: {line!r}")
        return int(words[1])

    def _terminate(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe:
                pipe.close()

    def wait(self) -> dict | None:
        """Block until the process ends (for example on Ctrl-C); return its statistics.

        Raises :class:`VirtualBoardError` if it ended with an error status.
        """
        self._process.wait()
        return self._finish()

    def close(self) -> dict | None:
        """Stop the process and return its statistics (cycles, bytes in and out, framing
        errors, ...), as parsed by :func:`parse_stats`; None if it printed none."""
        if self._stderr.closed:
            return self.stats
        self._terminate()
        return self._finish()

    def _finish(self) -> dict | None:
        if self._stderr.closed:
            return self.stats
        text = self._stderr_text()
        self._stderr.close()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe:
                pipe.close()
        self.stats = parse_stats(text)
        status = self._process.returncode
        # SIGTERM and SIGINT are handled and exit 0; a negative status is a signal we did not
        # expect (or the kill after a stop timeout).
        if status != 0:
            raise VirtualBoardError(f"the virtual board ended with status {status}:\n"
                                    + text.strip())
        _log.info("virtual board stopped: %s", self.stats)
        return self.stats

    def __enter__(self) -> "VirtualBoard":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            self.close()
        except VirtualBoardError:
            if exc_type is None:
                raise
            _log.exception("virtual board failed while another error was propagating")

    def __repr__(self) -> str:
        state = "running" if self.running() else "stopped"
        return f"<VirtualBoard {self.url} pid={self.pid} {state}>"


def serve(design, divisor: int, port: int = 0, *, host: str = "127.0.0.1", name: str = "top",
          announce=print, executable: Path | None = None) -> dict | None:
    """Run a virtual board in the foreground until Ctrl-C (or SIGTERM); return its statistics.

    ``announce`` receives one line with the URL to open once the board listens; ``executable``
    is a prebuilt harness (as for :class:`VirtualBoard`).
    """
    board = VirtualBoard(design, divisor, port, host=host, name=name, executable=executable)
    announce(f"virtual board listening on {board.url} (Ctrl-C to stop)")
    try:
        return board.wait()
    except KeyboardInterrupt:
        # The terminal's SIGINT reached the child as well; close() collects its exit.
        return board.close()
    finally:
        if board.running():
            board.close()
