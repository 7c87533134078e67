"""The typed errors of the device host library."""

__all__ = ["DeviceError", "LinkError", "DeviceRejected", "IdentityMismatch", "OutputMismatch"]


class DeviceError(Exception):
    """Anything that went wrong talking to a device."""


class LinkError(DeviceError):
    """No valid answer: the link timed out, dropped, or kept corrupting frames."""


class DeviceRejected(DeviceError):
    """The device answered with an error status (bad argument, unknown opcode, ...)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class IdentityMismatch(DeviceError):
    """The device was built for something else than what was asked of it."""


class OutputMismatch(DeviceError):
    """A core's output does not carry this job's tag (an Ising record, a GAN image header):
    the words belong to another job."""
