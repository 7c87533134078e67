"""A clock-accurate NumPy model of an 8N1 UART line, the reference for ``bitspin.hw.uart``.

A line is a uint8 array with one entry per clock: the level of the wire in that cycle.
"""

from __future__ import annotations

import numpy as np

__all__ = ["encode", "decode", "FramingError"]


class FramingError(ValueError):
    """A frame on the line has a low stop bit, or the line ends inside a frame."""


def encode(data: bytes, divisor: int, gaps=None, lead_in: int = 0) -> np.ndarray:
    """The line levels, one per clock, that send ``data`` at ``divisor`` clocks per bit.

    ``gaps[i]`` idle clocks precede byte ``i`` (after ``lead_in`` idle clocks at the start).
    """
    gaps = np.zeros(len(data), dtype=np.int64) if gaps is None else np.asarray(gaps, np.int64)
    if len(gaps) != len(data):
        raise ValueError("gaps must have one entry per byte")
    pieces = [np.ones(lead_in, np.uint8)]
    for byte, gap in zip(data, gaps):
        bits = np.array([0, *((byte >> np.arange(8)) & 1), 1], dtype=np.uint8)
        pieces += [np.ones(int(gap), np.uint8), np.repeat(bits, divisor)]
    return np.concatenate(pieces)


def decode(line: np.ndarray, divisor: int) -> bytes:
    """The bytes on ``line``, sampling each bit in the middle of its period like a receiver.

    Raises :class:`FramingError` on a low stop bit or a frame cut off by the end of the line.
    """
    line = np.asarray(line, dtype=np.uint8)
    out = bytearray()
    t = 0
    while True:
        lows = np.flatnonzero(line[t:] == 0)
        if len(lows) == 0:
            return bytes(out)
        start = t + int(lows[0])
        samples = start + divisor // 2 + divisor * np.arange(10)
        if samples[-1] >= len(line):
            raise FramingError(f"frame starting at clock {start} is cut off by the end of the line")
        bits = line[samples]
        if bits[0] != 0:  # a glitch shorter than half a bit, not a start bit
            t = start + 1
            continue
        if bits[9] != 1:
            raise FramingError(f"frame starting at clock {start} has a low stop bit")
        out.append(int(np.dot(bits[1:9].astype(np.int64), 1 << np.arange(8))))
        t = int(samples[-1]) + 1
