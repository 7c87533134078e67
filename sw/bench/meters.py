"""Which meter measures which benchmark backend, and energy per item for FPGA backends.

``--meter SPEC`` names the meter of the host-side backends (``cpu``, ``gpu``): the machine that
runs them. ``--meter BACKEND=SPEC`` names one backend's meter, and may be given once per backend:

- ``device=ppk2:/dev/ttyACM0`` measures the board's supply around the device run;
  ``device=stated:W`` is a board power you state;
- ``projected=stated:W`` is the only form for ``projected``: a projection runs nothing that a
  meter could measure, so its energy is a stated power × the projected time.

An FPGA backend's energy per item is the mean power over the run × the device's own compute time
(its cycle counter, or the projected cycles / fmax), so it does not depend on the link's speed.
"""

from __future__ import annotations

from bitspin.sw.energy import EnergyReading, energy_fields, meter_from_spec
from bitspin.sw.energy.stated import StatedPowerMeter

__all__ = ["HOST_BACKENDS", "BENCH_BACKENDS", "backend_meters", "check_meters", "device_energy",
           "projected_energy"]

HOST_BACKENDS = ("cpu", "gpu")
BENCH_BACKENDS = ("cpu", "gpu", "sim", "device", "projected")   # for either workload
_POWERED_THING = {"cpu": "this machine's CPU", "gpu": "the GPU", "device": "the FPGA board",
                  "projected": "the FPGA board"}


def backend_meters(specs: list[str] | None, backends: list[str]) -> dict:
    """The meter of each backend in ``backends`` that has one (``--meter`` values, see above)."""
    chosen: dict[str, str] = {}
    for spec in specs or []:
        name, sep, rest = spec.partition("=")
        if sep and name in BENCH_BACKENDS:
            targets, spec = [name], rest
        elif sep and name.isidentifier():
            raise ValueError(f"--meter {name}=...: {name!r} is not a backend; choose from "
                             f"{', '.join(BENCH_BACKENDS)}")
        else:
            targets = list(HOST_BACKENDS)
        for target in targets:
            chosen[target] = spec
    if "sim" in chosen:
        raise ValueError("--meter sim=...: a simulation's energy is not the hardware's; meter "
                         "the device or state a power for projected")
    meters = {name: meter_from_spec(spec, what=_POWERED_THING[name])
              for name, spec in chosen.items() if name in backends}
    if "projected" in meters and not isinstance(meters["projected"], StatedPowerMeter):
        raise ValueError("--meter projected=...: a projection runs nothing to measure; state "
                         "the board's power with projected=stated:WATTS")
    return meters


def check_meters(meters: dict) -> None:
    """Probe every meter (see ``EnergyMeter.check``) before a benchmark does any work."""
    for meter in meters.values():
        meter.check()


def device_energy(reading: EnergyReading | None, device_seconds: float, count: int,
                  unit: str, *, virtual: bool) -> dict:
    """Energy per item of a device run: the reading's mean power × the device's compute time.

    ``reading`` spans the host's whole run (link transfers included); the device's own time
    comes from its cycle counter. On a virtual board only a stated power makes sense: a meter
    would measure this computer, not a board.
    """
    if reading is None:
        return energy_fields(None, count, unit)
    if virtual and reading.measured:
        raise ValueError("the device is a virtual board: a meter would measure this computer, "
                         "not an FPGA; use --meter device=stated:WATTS")
    joules = reading.watts * device_seconds
    where = "a virtual board's simulated clock" if virtual else "the device's cycle counter"
    if "stated_watts" in reading.details:
        source = (f"stated {reading.watts:g} watts for the FPGA board × compute time from "
                  f"{where} (not measured)")
    else:
        source = f"{reading.source}; its mean power × compute time from {where}"
    labelled = EnergyReading(
        joules=joules, seconds=device_seconds, measured=reading.measured, source=source,
        details={**reading.details, "mean_watts": reading.watts,
                 "metered_joules": reading.joules, "metered_seconds": reading.seconds})
    return energy_fields(labelled, count, unit)


def projected_energy(meter: StatedPowerMeter | None, seconds: float, count: int, unit: str,
                     board: str) -> dict:
    """Energy per item of a projection: a stated board power × the projected time."""
    if meter is None:
        return energy_fields(None, count, unit)
    reading = EnergyReading(
        joules=meter.watts * seconds, seconds=seconds, measured=False,
        source=f"stated {meter.watts:g} watts for {board} × projected time (cycles / post-route "
               f"fmax); not measured", details={"stated_watts": meter.watts})
    return energy_fields(reading, count, unit)
