"""Energy meters behind one interface (see docs/energy.md).

An energy figure comes only from a meter reading (RAPL, NVML, PPK2) or from a power the user
states (``StatedPowerMeter``, labelled not measured). Meters that need hardware import their
libraries lazily, so importing this package needs none of them.
"""

from .meter import (UNITS, EnergyMeter, EnergyReading, MeterError, energy_fields, measure,
                    per_item)
from .nvml import NvmlMeter
from .ppk2 import Ppk2Client, Ppk2Meter
from .rapl import RaplMeter
from .select import SPEC_FORMS, meter_from_spec
from .stated import StatedPowerMeter

__all__ = ["EnergyMeter", "EnergyReading", "MeterError", "measure", "per_item", "energy_fields",
           "UNITS", "StatedPowerMeter", "RaplMeter", "NvmlMeter", "Ppk2Meter", "Ppk2Client",
           "meter_from_spec", "SPEC_FORMS"]
