"""The virtual board: the whole device simulated by Verilator behind a TCP socket.

Host code opens ``serial.serial_for_url(board.url)`` (``socket://127.0.0.1:PORT``) and talks to the
simulated FPGA exactly as to a real board's USB-UART. A C++ harness (``harness.cpp``) clocks the
Verilated top, shifts the socket's bytes into its ``rx`` pin as 8N1 frames and decodes its ``tx``
pin back into bytes; it stops the clock and sleeps while the device is idle.

The top is any ``amaranth.lib.wiring.Component`` with ``rx: In(1, init=1)``, ``tx: Out(1, init=1)``
and ``activity: Out(1)`` (high while the device works without UART traffic) in the default
``sync`` domain, using ``divisor`` clocks per UART bit. See docs/virtual_board.md.

    with VirtualBoard(LoopbackBoard(8), divisor=8) as board:
        link = serial.serial_for_url(board.url, timeout=1)
"""

from .build import VirtualBoardBuildError, build_virtual_board, check_board_top
from .loopback_board import LoopbackBoard
from .server import VirtualBoard, VirtualBoardError, parse_stats, serve

__all__ = ["VirtualBoard", "VirtualBoardError", "VirtualBoardBuildError", "serve",
           "build_virtual_board", "check_board_top", "parse_stats", "LoopbackBoard"]
