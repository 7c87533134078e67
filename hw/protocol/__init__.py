"""The framed serial command protocol: its format, and the gateware that decodes and encodes it.

- :mod:`.frame_format`: the byte layout, status codes, CRC and timeout (pure Python, shared with
  the host library, ``bitspin.sw.device.frames``);
- :class:`FrameDecoder`: request bytes in, CRC-checked frames (or errors) out;
- :class:`FrameEncoder`: a response header and payload in, framed bytes out.

See ``docs/protocol.md``.
"""

from .frame_decoder import DecodeError, FrameDecoder, RequestHeader
from .frame_encoder import FrameEncoder, ResponseHeader
from .frame_format import (CRC_BYTES, DEFAULT_TIMEOUT_US, FRAME_CRC, HEADER_BYTES, MAX_FRAME_BYTES,
                           MAX_PAYLOAD, REQUEST_SYNC, RESPONSE_SYNC, Status, frame_crc,
                           timeout_cycles)

__all__ = ["FrameDecoder", "FrameEncoder", "RequestHeader", "ResponseHeader", "DecodeError",
           "REQUEST_SYNC", "RESPONSE_SYNC", "HEADER_BYTES", "CRC_BYTES", "MAX_PAYLOAD",
           "MAX_FRAME_BYTES", "DEFAULT_TIMEOUT_US", "FRAME_CRC", "Status", "frame_crc",
           "timeout_cycles"]
