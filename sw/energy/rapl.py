"""CPU package energy from Linux powercap RAPL (``/sys/class/powercap/intel-rapl:N/energy_uj``).

What it measures: the energy counter of one RAPL zone, by default ``intel-rapl:0`` (package 0):
the whole CPU package, so everything else running on the machine is included. It does not see
DRAM (unless you pick that sub-zone), the GPU, the board or the power supply.
"""

from __future__ import annotations

import os
from typing import Callable

from .meter import EnergyMeter, EnergyReading, MeterError, monotonic

DEFAULT_ROOT = "/sys/class/powercap"
DEFAULT_DOMAIN = "intel-rapl:0"


def _read_text(path: str) -> str:
    with open(path, "r") as f:
        return f.read()


class RaplMeter(EnergyMeter):
    """Energy of one powercap RAPL zone between ``start()`` and ``stop()``.

    ``root`` and ``opener`` (a ``path -> text`` reader) let tests point the meter at a fake sysfs
    tree. The counter wraps at ``max_energy_range_uj``; one wrap per interval is corrected, so an
    interval must be shorter than ``max_energy_range_uj / power`` (tens of minutes at 100 W).
    """

    name = "rapl"

    def __init__(self, root: str = DEFAULT_ROOT, domain: str = DEFAULT_DOMAIN,
                 clock: Callable[[], float] = monotonic, opener: Callable[[str], str] = _read_text):
        self.root = root
        self.domain = domain
        self.zone = os.path.join(root, domain)
        self._clock = clock
        self._open = opener
        self._start: tuple[int, float] | None = None
        self.zone_name = self._try_name()
        self._max_range: int | None = None

    # -- sysfs access -------------------------------------------------------------------------
    def _path(self, leaf: str) -> str:
        return os.path.join(self.zone, leaf)

    def _read_int(self, leaf: str) -> int:
        path = self._path(leaf)
        try:
            text = self._open(path)
        except PermissionError:
            raise MeterError(
                f"cannot read {path}: permission denied. Since Linux 5.10 RAPL energy counters are "
                f"readable by root only. Run as root, or grant read access until the next boot: "
                f"`sudo chmod a+r {path}`") from None
        except FileNotFoundError:
            raise MeterError(f"{path} does not exist: no RAPL zone {self.domain!r} under "
                             f"{self.root} (is the intel_rapl / powercap driver loaded?)") from None
        except IsADirectoryError:
            raise MeterError(f"cannot read {path}: it is a directory, not a powercap counter") from None
        except OSError as e:
            raise MeterError(f"cannot read {path}: {e}") from None
        try:
            return int(text.strip())
        except ValueError:
            raise MeterError(f"{path} holds {text.strip()!r}, not an integer counter") from None

    def _try_name(self) -> str | None:
        try:
            return self._open(self._path("name")).strip() or None
        except OSError:
            return None

    @classmethod
    def available(cls, root: str = DEFAULT_ROOT, domain: str = DEFAULT_DOMAIN) -> tuple[bool, str]:
        path = os.path.join(root, domain, "energy_uj")
        if not os.path.exists(path):
            return False, f"{path} not found (no powercap RAPL zone {domain!r})"
        if not os.access(path, os.R_OK):
            return False, f"{path} is not readable: run as root or `sudo chmod a+r {path}`"
        return True, f"{path} readable"

    # -- meter ---------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        label = f" ({self.zone_name})" if self.zone_name else ""
        return f"RAPL powercap {self.domain}{label} (measured)"

    def check(self) -> None:
        self._read_int("max_energy_range_uj")
        self._read_int("energy_uj")

    def start(self) -> None:
        self._max_range = self._read_int("max_energy_range_uj")
        self._start = (self._read_int("energy_uj"), self._clock())

    def stop(self) -> EnergyReading:
        if self._start is None:
            raise MeterError("stop() without start()")
        e1, t1 = self._read_int("energy_uj"), self._clock()
        e0, t0 = self._start
        self._start = None
        wrapped = e1 < e0
        # The counter runs 0..max_energy_range_uj and then restarts at 0; adding the range is the
        # usual correction (it is exact to one counter unit, tens of µJ).
        delta_uj = e1 - e0 + (self._max_range if wrapped else 0)
        return EnergyReading(joules=delta_uj * 1e-6, seconds=t1 - t0, source=self.source,
                             measured=True,
                             details={"zone": self.zone, "wrapped": wrapped,
                                      "energy_uj_start": e0, "energy_uj_stop": e1,
                                      "max_energy_range_uj": self._max_range})
