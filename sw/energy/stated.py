"""Stated power: energy = the power the user states × wall time. Not a measurement."""

from __future__ import annotations

import math
from typing import Callable

from .meter import EnergyMeter, EnergyReading, MeterError, monotonic


class StatedPowerMeter(EnergyMeter):
    """Energy = ``watts`` × elapsed wall time, labelled ``measured=False``.

    ``what`` names the thing the power belongs to (e.g. ``"ULX3S board, datasheet"``).
    """

    name = "stated"

    def __init__(self, watts: float, what: str = "the device", clock: Callable[[], float] = monotonic):
        try:
            watts = float(watts)
        except (TypeError, ValueError):
            raise ValueError(f"stated power must be a number of watts, got {watts!r}") from None
        if not (math.isfinite(watts) and watts > 0):
            raise ValueError(f"stated power must be finite and > 0 W, got {watts!r}")
        self.watts = watts
        self.what = what
        self._clock = clock
        self._t0: float | None = None

    @property
    def source(self) -> str:
        return f"stated {self.watts:g} watts for {self.what}, times wall time (not measured)"

    def start(self) -> None:
        self._t0 = self._clock()

    def stop(self) -> EnergyReading:
        if self._t0 is None:
            raise MeterError("stop() without start()")
        seconds = self._clock() - self._t0
        self._t0 = None
        return EnergyReading(joules=self.watts * seconds, seconds=seconds, source=self.source,
                             measured=False, details={"stated_watts": self.watts})
