"""Talking to a bitspin device: the host side of the framed serial protocol.

:mod:`.frames` encodes and parses frames (the format itself lives in
:mod:`hw.protocol.frame_format`).
"""

from .frames import (Frame, FrameError, FrameParser, encode_frame, encode_request,
                     encode_response)

__all__ = ["Frame", "FrameError", "FrameParser", "encode_frame", "encode_request",
           "encode_response"]
