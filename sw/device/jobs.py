"""Job tags on the host: start a core's jobs, recover a start whose answer was lost, and check
that the output read back is this job's.

Each core has a JOB_TAG register (16 bits, written by the host before each start, ignored while
a job is in flight) and a JOB_STATE register (the starts taken since the tag was written,
saturating at 3, and a flag for a read of the empty output FIFO). The device marks each job's
output with the tag: every Ising record carries it in its words' top bytes, and each GAN image
begins with :func:`~hw.device.register_map.job_header` of it (docs/protocol.md, "Jobs").
"""

from __future__ import annotations

import random

from bitspin.hw.device.register_map import JOB_TAG_BITS, JobStateBits, job_header

from .errors import DeviceError, LinkError, OutputMismatch

__all__ = ["JobTags"]


class JobTags:
    """The job tags of one core (``prefix`` ``"ISING"`` or ``"GAN"``) in this host session.

    :meth:`start` writes a fresh random tag, starts a job and returns the tag; :meth:`check`
    and :meth:`check_header` raise :class:`OutputMismatch` when output is not the job's;
    :meth:`verify` checks, after the job, that the device took exactly this one start and never
    returned zeros from an empty FIFO.
    """

    def __init__(self, device, prefix: str):
        self.device, self.prefix = device, prefix
        self._random = random.SystemRandom()

    def _state(self) -> int:
        return self.device.read(f"{self.prefix}_JOB_STATE")

    def _fresh_tag(self) -> int:
        """Write a random tag (random, so that hosts taking turns never share one) and read it
        back: the device ignores the write while a job is in flight."""
        tag = self._random.randrange(1, 1 << JOB_TAG_BITS)
        self.device.write(f"{self.prefix}_JOB_TAG", tag)
        if self.device.read(f"{self.prefix}_JOB_TAG") != tag:
            raise DeviceError(f"{self.prefix}_JOB_TAG did not take this host's tag: a job that "
                              f"this host did not start is in flight on the device")
        return tag

    def start(self, command: str, value: int) -> int:
        """Write ``value`` to the ``command`` register (a start, not idempotent) under a fresh
        tag; return the tag.

        When the write's answer is lost, its fate is recovered from JOB_STATE, which a serial
        link orders after the write: one start taken means it ran; none that it never arrived,
        and it is sent again (as often as the link retries requests).
        """
        tag = self._fresh_tag()
        problem = None
        for _ in range(self.device.client.retries + 1):
            try:
                self.device.write(command, value, idempotent=False)
                return tag
            except LinkError as error:
                problem = error
            taken = self._state() & JobStateBits.STARTS
            if taken == 1:
                return tag
            if taken != 0:
                raise DeviceError(f"{command}: the device took {taken} starts of one request "
                                  f"(duplicated on the link)") from None
        raise DeviceError(f"{command}: the start did not reach the device after "
                          f"{self.device.client.retries + 1} attempts ({problem})")

    def verify(self, what: str) -> None:
        """DeviceError unless the device took exactly one start under the job's tag (a start
        duplicated on the link would have run a job behind the host's back) and no read of the
        output FIFO found it empty (the host pops no more than the level, so an empty read
        means a duplicated pop took words that a later read then lacked)."""
        state = self._state()
        if state & JobStateBits.STARTS != 1:
            raise DeviceError(f"{what}: the device took {state & JobStateBits.STARTS} starts "
                              f"under this job's tag, not 1: a start was duplicated on the link "
                              f"or another host used the device; the result is not trusted")
        if state & JobStateBits.EMPTY_READ:
            raise DeviceError(f"{what}: a read found the output FIFO empty and returned zeros "
                              f"this host never asked for (a read duplicated on the link took "
                              f"words meant for a later one): the output is not trusted; run "
                              f"the job again")

    def check(self, tag: int, found: int, what: str) -> None:
        """OutputMismatch unless ``found`` (the tag an output word carries) is ``tag``."""
        if found != tag:
            raise OutputMismatch(
                f"{what}: the device's output carries job tag {found:#06x}, not this job's "
                f"{tag:#06x}: it belongs to another job (a start the device did not take, "
                f"another host's job, or words lost on the link); nothing was returned")

    def check_header(self, tag: int, words, what: str) -> None:
        """OutputMismatch unless ``words`` (an image's output) begin with its header."""
        if not words or words[0] != job_header(tag):
            got = f"{words[0]:#010x}" if words else "nothing"
            raise OutputMismatch(
                f"{what}: the device's output begins with {got}, not this job's header "
                f"{job_header(tag):#010x}: these words belong to another job (a start the "
                f"device did not take, another host's job, or words lost on the link); "
                f"nothing was returned")
