"""The boards bitspin builds for, by the names the CLI uses."""

from __future__ import annotations

from dataclasses import dataclass

from amaranth_boards.icebreaker import ICEBreakerPlatform
from amaranth_boards.ulx3s import (ULX3S_12F_Platform, ULX3S_25F_Platform, ULX3S_45F_Platform,
                                   ULX3S_85F_Platform)

__all__ = ["Board", "BOARDS", "board_by_name"]


@dataclass(frozen=True)
class Board:
    """One supported board: its Amaranth platform and what the flow needs to know about it."""
    name: str
    platform_class: type
    family: str  # "ice40" or "ecp5": picks nextpnr and the packer
    description: str
    flash_cable: str  # openFPGALoader's --board name
    # The Ising core a build uses unless told otherwise: (L, P, k).
    ising_defaults: tuple[int, int, int] = (64, 16, 16)
    # How many cores one device (``--design soc``) on this board can carry.
    device_cores: int = 2
    # Whether the device refuses register accesses outside its map (else they read 0).
    address_check: bool = True
    # The UART rate of its device at the board's own clock (the ULX3S's 25 MHz cannot make
    # 3 Mbaud within 2%; the iCEBreaker's 12 MHz makes it at 4 clocks per bit).
    device_baud: int = 1_000_000
    # Whether its Ising core adds up the observables on chip (no room on the UP5K).
    ising_sums: bool = True

    def platform(self):
        """A fresh platform instance (Amaranth platforms may be prepared only once)."""
        return self.platform_class()

    @property
    def clock_hz(self) -> float:
        """The frequency of the board's oscillator, the default ``sync`` clock."""
        return self.platform().default_clk_frequency


BOARDS = {board.name: board for board in [
    # The UP5K holds one core per device: the Ising device (L=32, P=2, k=8) takes 98% of its
    # 5 280 logic cells and the GAN device (2 × 8 engine) 97% (docs/design_space.md); the
    # address check (about 170 cells) does not fit beside the Ising core.
    Board("icebreaker", ICEBreakerPlatform, "ice40", "1BitSquared iCEBreaker (iCE40UP5K-SG48)",
          "ice40_generic", ising_defaults=(32, 2, 8), device_cores=1, address_check=False,
          device_baud=3_000_000, ising_sums=False),
    Board("ulx3s-12f", ULX3S_12F_Platform, "ecp5", "Radiona ULX3S with LFE5U-12F", "ulx3s"),
    Board("ulx3s-25f", ULX3S_25F_Platform, "ecp5", "Radiona ULX3S with LFE5U-25F", "ulx3s"),
    Board("ulx3s-45f", ULX3S_45F_Platform, "ecp5", "Radiona ULX3S with LFE5U-45F", "ulx3s"),
    Board("ulx3s-85f", ULX3S_85F_Platform, "ecp5", "Radiona ULX3S with LFE5U-85F", "ulx3s"),
]}


def board_by_name(name: str) -> Board:
    """The :class:`Board` called ``name``, or a ``ValueError`` that lists the known boards."""
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; known boards: {', '.join(BOARDS)}") from None
