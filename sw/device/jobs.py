"""Job tags on the host: start a core's jobs, recover a start whose answer was lost, and check
that the output read back is this job's.

Each core has a JOB_TAG register (16 bits, written by the host) and a JOB_STARTS counter (the
starts the core took since the tag was written). The device writes
:func:`~hw.device.register_map.job_header` of the tag and the start's index before each job's
output, so the host can tell its job's words from anyone else's (docs/protocol.md, "Jobs").
"""

from __future__ import annotations

import random

from bitspin.hw.device.register_map import JOB_TAG_BITS, job_header

from .errors import DeviceError, LinkError, OutputMismatch

__all__ = ["JobTags"]

_COUNT = 1 << JOB_TAG_BITS


class JobTags:
    """The job tag of one core (``prefix`` ``"ISING"`` or ``"GAN"``) in this host session.

    :meth:`begin` writes a fresh random tag; :meth:`start` starts a job and returns the header
    word its output must begin with; :meth:`check` raises :class:`OutputMismatch` when it does
    not; :meth:`verify` checks that the device took no start the host did not make.
    """

    def __init__(self, device, prefix: str):
        self.device, self.prefix = device, prefix
        self.tag: int | None = None
        self.starts = 0

    def begin(self) -> None:
        """A fresh tag for the jobs that follow (it also sets the device's start count to 0).
        Random, so that two hosts that take turns on one device never share one. The GAN block
        refuses a new tag while an image is in flight; the tag is read back to know."""
        tag = random.SystemRandom().randrange(1, _COUNT)
        self.device.write(f"{self.prefix}_JOB_TAG", tag)
        if self.device.read(f"{self.prefix}_JOB_TAG") != tag:
            raise DeviceError(f"{self.prefix}_JOB_TAG did not take this host's tag: a job "
                              f"that this host did not start is in flight on the device")
        self.tag, self.starts = tag, 0

    def start(self, command: str, value: int) -> int:
        """Write ``value`` to the ``command`` register (a start, not idempotent); return the
        job's header word.

        When the write's answer is lost, its fate is recovered from JOB_STARTS, which a serial
        link orders after the write: one more start than before means the start ran; none more
        means it never arrived, and it is sent again (as often as the link retries requests).
        Anything else means that another host is using the device, and raises DeviceError.
        """
        if self.tag is None:
            self.begin()
        before = self.starts % _COUNT
        for _ in range(self.device.client.retries + 1):
            try:
                self.device.write(command, value, idempotent=False)
                break
            except LinkError as error:
                problem = error
            taken = self.device.read(f"{self.prefix}_JOB_STARTS")
            if taken == (before + 1) % _COUNT:
                break
            if taken != before:
                raise DeviceError(
                    f"{command}: the device counts {taken} starts since this host's tag, "
                    f"expected {before} or {before + 1}: another host is using it") from None
        else:
            raise DeviceError(f"{command}: the start did not reach the device after "
                              f"{self.device.client.retries + 1} attempts ({problem})")
        self.starts += 1
        return job_header(self.tag, before)

    def verify(self, what: str) -> None:
        """DeviceError unless the device took exactly the starts this host made under its tag
        (a start duplicated on the link would have run a job behind the host's back) and no
        read of the output FIFO found it empty (this host pops no more than the level, so an
        empty read means a duplicated pop took words that a later read then lacked)."""
        if self.tag is None:
            return
        taken = self.device.read(f"{self.prefix}_JOB_STARTS")
        if taken != self.starts % _COUNT:
            raise DeviceError(f"{what}: the device took {taken} starts under this host's tag, "
                              f"the host made {self.starts % _COUNT}: a start was duplicated on "
                              f"the link or another host used the device; the result is "
                              f"not trusted")
        empty = self.device.read(f"{self.prefix}_EMPTY_POPS")
        if empty:
            raise DeviceError(f"{what}: {empty} reads found the output FIFO empty and returned "
                              f"zeros that this host never asked for (a read duplicated on the "
                              f"link took words meant for a later one): the output is not "
                              f"trusted; run the job again")

    def check(self, header: int, words, what: str) -> None:
        """OutputMismatch unless ``words`` (what was read where the job's output begins)
        start with ``header`` (the value :meth:`start` returned)."""
        if not words or words[0] != header:
            got = f"{words[0]:#010x}" if words else "nothing"
            raise OutputMismatch(
                f"{what}: the device's output begins with {got}, not this job's header "
                f"{header:#010x}: these words belong to another job (a start the device did not "
                f"take, another host's job, or words lost on the link); nothing was returned")
