"""Talking to a bitspin device, real or virtual: one host code path for both.

- :mod:`.frames`: encode and parse frames (the format lives in :mod:`hw.protocol.frame_format`);
- :mod:`.transport`: bytes over anything pyserial's ``serial_for_url`` opens;
- :mod:`.client`: requests with sequence numbers, timeouts, bounded retries, typed errors;
- :mod:`.device`: :class:`Device`, its identity and its register map by name;
- :mod:`.jobs`: job tags: starts that survive a lost answer, output checked to be the job's;
- :mod:`.ising_sampler`, :mod:`.generator`: the cores, with the golden models' APIs;
- :mod:`.connect`: ``--device URL`` (``sim`` starts a virtual board).
"""

from .device import Device
from .errors import DeviceError, DeviceRejected, IdentityMismatch, LinkError, OutputMismatch
from .frames import (Frame, FrameError, FrameParser, encode_frame, encode_request,
                     encode_response)
from .generator import Generator
from .ising_sampler import IsingSampler

__all__ = ["Device", "IsingSampler", "Generator", "DeviceError", "DeviceRejected",
           "IdentityMismatch", "LinkError", "OutputMismatch", "Frame", "FrameError", "FrameParser",
           "encode_frame", "encode_request", "encode_response"]
