"""The energy-meter interface: one reading between ``start()`` and ``stop()``.

An energy figure comes only from a meter reading or from a power the user states; every reading
carries a ``source`` label that says which, and ``measured`` is False for stated power.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["EnergyMeter", "EnergyReading", "MeterError", "measure", "per_item", "energy_fields",
           "UNITS"]


class MeterError(RuntimeError):
    """A meter cannot be used or read; the message says why and what to do."""


@dataclass(frozen=True)
class EnergyReading:
    """Energy over one start/stop interval, labelled with how it was obtained."""
    joules: float
    seconds: float
    source: str
    measured: bool
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def watts(self) -> float | None:
        """Mean power over the interval (None for an empty interval)."""
        return self.joules / self.seconds if self.seconds > 0 else None


class EnergyMeter(ABC):
    """One energy meter. Use ``start()`` then ``stop()``, or :func:`measure`."""

    name: str = "meter"

    @property
    @abstractmethod
    def source(self) -> str:
        """Human label, e.g. ``"RAPL powercap intel-rapl:0 (package-0) (measured)"``."""

    @abstractmethod
    def start(self) -> None:
        """Begin an interval."""

    @abstractmethod
    def stop(self) -> EnergyReading:
        """End the interval begun by ``start()`` and return its reading."""

    def close(self) -> None:
        """Release the meter's resources (a no-op unless the meter holds any)."""

    def check(self) -> None:
        """Raise :class:`MeterError` now if the meter cannot be read, so that a run stops
        before its work rather than after it (a no-op for meters with nothing to probe)."""

    @classmethod
    def available(cls, *args, **kwargs) -> tuple[bool, str]:
        """Whether this meter can be used here, and why not."""
        return True, "no check"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def measure(meter: EnergyMeter | None, fn: Callable, *args,
            **kwargs) -> tuple[Any, EnergyReading | None]:
    """Run ``fn(*args, **kwargs)`` between ``meter.start()`` and ``meter.stop()``.

    Returns ``(result, reading)``; with ``meter=None`` just runs ``fn`` and the reading is None.
    If ``fn`` raises, the meter is still stopped and the error propagates.
    """
    if meter is None:
        return fn(*args, **kwargs), None
    meter.start()
    try:
        result = fn(*args, **kwargs)
    except BaseException:
        try:
            meter.stop()
        except Exception:
            pass
        raise
    return result, meter.stop()


# unit -> (JSON key, scale from joules)
UNITS = {
    "update": ("energy_per_update_nj", 1e9),
    "image": ("energy_per_image_uj", 1e6),
}


def per_item(reading: EnergyReading, count: int | float, unit: str) -> float:
    """Energy per item: nJ per spin update (``unit="update"``) or µJ per image (``unit="image"``)."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {sorted(UNITS)}")
    if not (count > 0 and math.isfinite(count)):
        raise ValueError(f"count must be a positive finite number, got {count!r}")
    return reading.joules * UNITS[unit][1] / count


def energy_fields(reading: EnergyReading | None, count: int | float, unit: str) -> dict[str, Any]:
    """The benchmark JSON fields for a reading over ``count`` items.

    ``{"energy_per_update_nj" | "energy_per_image_uj": value, "energy_source": ...,
    "energy_measured": bool, "energy_joules": ..., "energy_seconds": ...}``.
    With ``reading=None`` the value is null and ``energy_source`` is ``"not measured"``.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {sorted(UNITS)}")
    key = UNITS[unit][0]
    if reading is None:
        return {key: None, "energy_source": "not measured", "energy_measured": False,
                "energy_joules": None, "energy_seconds": None}
    fields = {key: per_item(reading, count, unit), "energy_source": reading.source,
              "energy_measured": bool(reading.measured), "energy_joules": reading.joules,
              "energy_seconds": reading.seconds}
    return fields


def monotonic() -> float:
    """The default clock of every meter (tests inject their own)."""
    return time.perf_counter()
