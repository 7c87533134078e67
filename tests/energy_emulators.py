"""Emulations of the energy meters' hardware, for tests: a powercap sysfs tree, a ``pynvml``
stand-in, and a PPK2 serial device.

The PPK2 emulation speaks the protocol at the level ppk2-api 0.9.2 uses it: one-byte opcodes with
their arguments, the metadata text ending in ``END``, and a stream of 4-byte little-endian sample
words at 100 kS/s of (emulated) time while average sampling runs. Each word holds the ADC value
(bits 0-13), the range (bits 14-16), a 6-bit counter (bits 18-23) and the logic inputs (bits 24-31).
The ADC value for a current is the exact inverse of the calibration formula, rounded, so decoding
is exact to one ADC step.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from bitspin.sw.energy.ppk2 import (ADC_MULT, COUNTER_MASK, COUNTER_SHIFT, LOGIC_SHIFT, N_RANGES,
                            RANGE_SHIFT, SAMPLE_RATE_HZ, Command, decode_source_voltage)

# ---------------------------------------------------------------------------------------------
# RAPL: a powercap tree


def make_rapl_zone(root: Path, domain: str = "intel-rapl:0", energy_uj: int = 0,
                   max_energy_range_uj: int = 262143328850, name: str = "package-0") -> Path:
    zone = Path(root) / domain
    zone.mkdir(parents=True, exist_ok=True)
    (zone / "name").write_text(name + "\n")
    (zone / "max_energy_range_uj").write_text(f"{max_energy_range_uj}\n")
    set_rapl_energy(root, domain, energy_uj)
    return zone


def set_rapl_energy(root: Path, domain: str, energy_uj: int) -> None:
    (Path(root) / domain / "energy_uj").write_text(f"{energy_uj}\n")


# ---------------------------------------------------------------------------------------------
# NVML: a module-like stand-in for pynvml


class FakeNvml:
    """The pynvml functions the NVML meter calls. ``energy_mj[i]`` is GPU i's counter (Volta+);
    ``supported=False`` makes the energy call fail as on a pre-Volta GPU."""

    NVML_SUCCESS = 0
    NVML_ERROR_UNINITIALIZED = 1
    NVML_ERROR_INVALID_ARGUMENT = 2
    NVML_ERROR_NOT_SUPPORTED = 3

    class NVMLError(Exception):
        _strings = {1: "Uninitialized", 2: "Invalid Argument", 3: "Not Supported"}

        def __init__(self, value):
            super().__init__(value)
            self.value = value

        def __str__(self):
            return self._strings.get(self.value, f"Unknown Error {self.value}")

    def __init__(self, energy_mj=(0,), names=("NVIDIA H100 80GB HBM3",), supported=True):
        self.energy_mj = list(energy_mj)
        self.names = list(names)
        self.supported = supported
        self.inits = 0
        self.shutdowns = 0

    def _check_init(self):
        if self.inits <= self.shutdowns:
            raise self.NVMLError(self.NVML_ERROR_UNINITIALIZED)

    def nvmlInit(self):
        self.inits += 1

    def nvmlShutdown(self):
        self._check_init()
        self.shutdowns += 1

    def nvmlDeviceGetHandleByIndex(self, index):
        self._check_init()
        if not 0 <= index < len(self.energy_mj):
            raise self.NVMLError(self.NVML_ERROR_INVALID_ARGUMENT)
        return ("handle", index)

    def nvmlDeviceGetName(self, handle):
        self._check_init()
        return self.names[handle[1]]

    def nvmlDeviceGetTotalEnergyConsumption(self, handle):
        self._check_init()
        if not self.supported:
            raise self.NVMLError(self.NVML_ERROR_NOT_SUPPORTED)
        return self.energy_mj[handle[1]]


# ---------------------------------------------------------------------------------------------
# PPK2: a serial device

# Made-up calibration shaped like a real unit's (resistors off nominal, small second-order gain,
# offsets, supply-dependent leakage terms), so every term of the formula is exercised.
CALIBRATION = {
    "R": [1003.3, 101.4, 10.04, 0.987, 0.0472],
    "GS": [0.011, 0.0042, 0.0013, 0.0, 0.0],
    "GI": [1.0031, 0.9987, 1.0012, 0.9978, 1.0045],
    "O": [112.0, 75.5, 64.3, 60.1, 71.0],
    "S": [-6.1e-8, -3.3e-7, -2.9e-6, -2.6e-5, -4.2e-4],
    "I": [1.1e-7, 4.0e-7, 3.1e-6, 2.2e-5, 3.7e-4],
    "UG": [1.0, 1.002, 0.999, 1.0, 1.001],
}
ADC_FULL = (1 << 14) - 1
ARG_BYTES = {Command.GET_META_DATA: 0, Command.AVERAGE_START: 0, Command.AVERAGE_STOP: 0,
             Command.REGULATOR_SET: 2, Command.DEVICE_RUNNING_SET: 1, Command.SET_POWER_MODE: 1,
             Command.RANGE_SET: 1, Command.RESET: 0}


def metadata_text(cal=CALIBRATION, vdd_mv: int = 3300) -> str:
    lines = ["Calibrated: 0"]
    for key in ("R", "GS", "GI", "O", "S", "I", "UG"):
        lines += [f"{key}{i}: {cal[key][i]:.6g}" for i in range(N_RANGES)]
    lines += ["HW: 9173", "IA: 56", f"VDD: {vdd_mv}", "END", ""]
    return "\n".join(lines)


class FakePpk2Serial:
    """A PPK2 behind a pyserial-like face. ``current`` is amps, or a function of emulated time.

    ``clock`` is the emulated time in seconds (tests share it with the meter); samples for every
    10 µs between AVERAGE_START and AVERAGE_STOP are produced lazily when the host reads.
    Protocol violations (unknown opcodes, sampling before the voltage is set) raise AssertionError.
    """

    def __init__(self, current: float | Callable[[float], float], clock: Callable[[], float],
                 cal=CALIBRATION, logic: int = 0):
        self.current = current if callable(current) else (lambda t, c=current: c)
        self.clock = clock
        self.cal = {k: np.asarray(v, dtype=np.float64) for k, v in cal.items()}
        self.logic = logic
        self.baudrate = 9600
        self.timeout = 1
        self.is_open = True
        self.commands: list[tuple[int, ...]] = []
        self.vdd_mv: int | None = None
        self.mode: int | None = None
        self.dut_on = False
        self.sampling = False
        self._t_start = 0.0
        self._t_stop: float | None = None
        self._produced = 0
        self._counter = 0
        self._out = bytearray()
        self._pending = bytearray()
        self._lock = threading.Lock()

    # -- host -> device -------------------------------------------------------------------------
    def write(self, data: bytes) -> int:
        with self._lock:
            self._pending += data
            while self._pending:
                op = self._pending[0]
                assert op in ARG_BYTES, f"PPK2 emulator: unknown opcode 0x{op:02x}"
                n = 1 + ARG_BYTES[op]
                if len(self._pending) < n:
                    break
                cmd = tuple(self._pending[:n])
                del self._pending[:n]
                self.commands.append(cmd)
                self._command(cmd)
        return len(data)

    def _command(self, cmd):
        op = cmd[0]
        if op == Command.GET_META_DATA:
            self._out += metadata_text(vdd_mv=self.vdd_mv or 3300).encode()
        elif op == Command.REGULATOR_SET:
            self.vdd_mv = decode_source_voltage(cmd[1], cmd[2])
            assert 800 <= self.vdd_mv <= 5000, f"PPK2 emulator: VDD {self.vdd_mv} mV out of range"
        elif op == Command.SET_POWER_MODE:
            assert cmd[1] in (1, 2), f"PPK2 emulator: power mode {cmd[1]}"
            self.mode = cmd[1]
        elif op == Command.DEVICE_RUNNING_SET:
            self.dut_on = bool(cmd[1])
        elif op == Command.AVERAGE_START:
            assert self.vdd_mv is not None, "PPK2 emulator: sampling before REGULATOR_SET"
            self.sampling, self._t_start, self._produced, self._t_stop = True, self.clock(), 0, None
        elif op == Command.AVERAGE_STOP:
            if self.sampling:
                self._produce(self.clock())
            self.sampling = False

    # -- device -> host -------------------------------------------------------------------------
    def adc_for(self, amps: float) -> tuple[int, int]:
        """(range, 14-bit ADC value): the most sensitive range that does not saturate, and the
        value whose decoding by the calibration formula is closest to ``amps``."""
        c = self.cal
        vdd = (self.vdd_mv or 0) / 1000
        for r in range(N_RANGES):
            y = amps / c["UG"][r] - c["S"][r] * vdd - c["I"][r]
            gs, gi = c["GS"][r], c["GI"][r]
            x = y / gi if gs == 0 else (-gi + math.sqrt(gi * gi + 4 * gs * y)) / (2 * gs)
            adc4 = x * c["R"][r] / ADC_MULT + c["O"][r]
            raw = round(adc4 / 4)
            if raw <= ADC_FULL * 0.95 or r == N_RANGES - 1:
                return r, min(max(raw, 0), ADC_FULL)
        raise AssertionError("unreachable")

    def _produce(self, now: float) -> None:
        due = int((now - self._t_start) * SAMPLE_RATE_HZ + 1e-9)
        if due <= self._produced:
            return
        idx = np.arange(self._produced, due)
        words = np.empty(len(idx), dtype="<u4")
        for k, i in enumerate(idx):
            amps = self.current(self._t_start + i / SAMPLE_RATE_HZ) if self.dut_on else 0.0
            r, raw = self.adc_for(amps)
            words[k] = (raw | (r << RANGE_SHIFT) | ((self._counter & COUNTER_MASK) << COUNTER_SHIFT)
                        | ((self.logic & 0xFF) << LOGIC_SHIFT))
            self._counter = (self._counter + 1) & COUNTER_MASK
        self._produced = due
        self._out += words.tobytes()

    @property
    def in_waiting(self) -> int:
        with self._lock:
            if self.sampling:
                self._produce(self.clock())
            return len(self._out)

    def read(self, size: int = 1) -> bytes:
        with self._lock:
            data = bytes(self._out[:size])
            del self._out[:size]
            return data

    def drop(self, nbytes: int, offset: int = 0) -> None:
        """Lose ``nbytes`` of the queued output from ``offset`` on (a USB overrun)."""
        with self._lock:
            if self.sampling:
                self._produce(self.clock())
            del self._out[offset:offset + nbytes]

    def reset_input_buffer(self) -> None:
        with self._lock:
            self._out.clear()

    def close(self) -> None:
        self.is_open = False


class FakeClock:
    """A settable clock shared by a meter and an emulator."""

    def __init__(self, t: float = 0.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
