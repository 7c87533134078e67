"""Virtual boards carrying the bitspin device: the same DeviceTop a bitstream carries.

The simulated clock is nominally 12 MHz with 4 clocks per UART bit (3 Mbaud); the identity's
revision is ``virtual-board`` rather than the git hash, so a simulator build stays cached
across commits that do not change the gateware.
"""

from __future__ import annotations

from bitspin.hw.device.identity import VIRTUAL_BOARD_REVISION
from bitspin.hw.gan.engine_targets import engine_target
from bitspin.hw.gan.image import EngineImage
from bitspin.hw.device.soc import DeviceTop
from bitspin.hw.ising.params import IsingParams

from .server import VirtualBoard

__all__ = ["device_top", "start_device", "SIM_CLOCK_HZ", "SIM_DIVISOR"]

SIM_CLOCK_HZ = 12_000_000
SIM_DIVISOR = 4


def device_top(ising: IsingParams | None = None, gan_engine: str | None = None,
               gan_image: EngineImage | None = None) -> DeviceTop:
    """The device with an Ising core of ``ising`` and/or the named GAN engine configuration,
    whose memory image ``gan_image`` the caller gives (the host reads the model file)."""
    in_spram, thresholds_in_spram = False, False
    if gan_engine is not None:
        if gan_image is None:
            raise ValueError(f"the GAN engine {gan_engine!r} needs its memory image (gan_image)")
        target = engine_target(gan_engine)
        in_spram = target.weights_in_spram
        thresholds_in_spram = target.thresholds_in_spram
    design = "+".join(name for name, on in (("ising", ising), ("gan", gan_engine)) if on)
    return DeviceTop(SIM_DIVISOR, SIM_CLOCK_HZ, ising=ising, gan_image=gan_image,
                     design=f"soc:{design}", weights_in_spram=in_spram,
                     thresholds_in_spram=thresholds_in_spram,
                     revision=VIRTUAL_BOARD_REVISION)


def start_device(ising: IsingParams | None = None, gan_engine: str | None = None,
                 gan_image: EngineImage | None = None, port: int = 0) -> VirtualBoard:
    """Build (cached) and start a virtual board with that device; close() it when done."""
    return VirtualBoard(device_top(ising, gan_engine, gan_image), SIM_DIVISOR, port)
