"""``--meter`` specs: one string names a meter.

=====================  ==========================================================
``rapl``               RAPL powercap zone ``intel-rapl:0`` (CPU package 0)
``rapl:ZONE``          another powercap zone, e.g. ``rapl:intel-rapl:1``
``nvml`` / ``nvml:N``  NVIDIA GPU 0 / GPU N through NVML
``ppk2:PORT``          Nordic PPK2 on serial PORT, source mode at 3300 mV
``ppk2:PORT@MV``       the same at MV millivolts, e.g. ``ppk2:/dev/ttyACM0@1800``
``stated:W``           a power of W watts you state, times wall time (not measured)
=====================  ==========================================================
"""

from __future__ import annotations

from .meter import EnergyMeter

SPEC_FORMS = ("rapl", "rapl:ZONE (e.g. rapl:intel-rapl:0)", "nvml", "nvml:INDEX (e.g. nvml:1)",
              "ppk2:PORT (e.g. ppk2:/dev/ttyACM0)", "ppk2:PORT@MILLIVOLTS",
              "stated:WATTS (e.g. stated:12.5)")


def _bad(spec: str, why: str) -> ValueError:
    return ValueError(f"bad --meter {spec!r}: {why}. Forms: " + ", ".join(SPEC_FORMS))


def meter_from_spec(spec: str, what: str = "the device") -> EnergyMeter:
    """A meter from a ``--meter`` spec. ``what`` names the powered thing for ``stated:W``."""
    if not isinstance(spec, str) or not spec.strip():
        raise _bad(str(spec), "empty")
    spec = spec.strip()
    kind, sep, arg = spec.partition(":")
    kind = kind.lower()
    if kind == "rapl":
        from .rapl import DEFAULT_DOMAIN, RaplMeter
        if sep and not arg:
            raise _bad(spec, "missing zone after 'rapl:'")
        if "/" in arg or arg in (".", ".."):
            raise _bad(spec, "a zone is a powercap directory name such as intel-rapl:0")
        return RaplMeter(domain=arg or DEFAULT_DOMAIN)
    if kind == "nvml":
        from .nvml import NvmlMeter
        if not sep:
            return NvmlMeter(0)
        try:
            index = int(arg)
        except ValueError:
            raise _bad(spec, f"GPU index {arg!r} is not an integer") from None
        if index < 0:
            raise _bad(spec, "GPU index must be >= 0")
        return NvmlMeter(index)
    if kind == "ppk2":
        from .ppk2 import Ppk2Meter
        if not arg:
            raise _bad(spec, "missing serial port after 'ppk2:'")
        port, at, mv = arg.rpartition("@") if "@" in arg else (arg, "", "")
        if at:
            try:
                millivolts = int(mv)
            except ValueError:
                raise _bad(spec, f"voltage {mv!r} is not an integer number of millivolts") from None
        else:
            millivolts = 3300
        if not port:
            raise _bad(spec, "missing serial port")
        try:
            return Ppk2Meter(port, voltage_mv=millivolts)
        except ValueError as e:
            raise _bad(spec, str(e)) from None
    if kind == "stated":
        from .stated import StatedPowerMeter
        if not arg:
            raise _bad(spec, "missing watts after 'stated:'")
        try:
            return StatedPowerMeter(float(arg.removesuffix("W").removesuffix("w")), what=what)
        except ValueError as e:
            raise _bad(spec, str(e)) from None
    raise _bad(spec, f"unknown meter {kind!r}")
