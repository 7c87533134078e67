"""Nordic Power Profiler Kit II (PPK2) in source-meter mode: it powers the board and samples the
current it draws at 100 kS/s.

What it measures: the current on the PPK2's VOUT rail into whatever it powers (the FPGA board,
when the board is supplied from the PPK2 instead of USB), times the set source voltage. Nothing
the board draws from elsewhere (a USB cable still plugged in for power, an external supply) is seen.

Two layers:

- :class:`Ppk2Client`: the serial protocol and the current conversion, with the method names of
  ``ppk2_api.ppk2_api.PPK2_API`` (PyPI ``ppk2-api``), over any pyserial-like object. It follows
  ppk2-api 0.9.2 (command bytes, voltage encoding, sample layout, calibration formula); see
  docs/energy.md for what is taken on trust from it.
- :class:`Ppk2Meter`: the energy meter. It drives an ``api`` object with those methods: a
  :class:`Ppk2Client` by default, or an injected one (a real ``PPK2_API``, or a client over the
  emulator in tests/energy_emulators.py).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any, Callable

import numpy as np

from .meter import EnergyMeter, EnergyReading, MeterError, monotonic

SAMPLE_RATE_HZ = 100_000  # one 4-byte sample every 10 µs
SAMPLE_BYTES = 4


class Command:
    """Serial command opcodes (as in ppk2-api's ``PPK2_Command``)."""
    NO_OP = 0x00
    TRIGGER_SET = 0x01
    AVG_NUM_SET = 0x02
    AVERAGE_START = 0x06
    AVERAGE_STOP = 0x07
    RANGE_SET = 0x08
    DEVICE_RUNNING_SET = 0x0C
    REGULATOR_SET = 0x0D
    SET_POWER_MODE = 0x11
    GET_META_DATA = 0x19
    RESET = 0x20


POWER_MODE_AMPERE = 1   # SET_POWER_MODE argument: ampere meter
POWER_MODE_SOURCE = 2   # SET_POWER_MODE argument: source meter
VDD_MIN_MV, VDD_MAX_MV = 800, 5000

# Sample word (32-bit little-endian): ADC value bits 0-13, range bits 14-16, counter bits 18-23,
# digital logic inputs bits 24-31.
ADC_MASK, ADC_SHIFT = 0x3FFF, 0
RANGE_MASK, RANGE_SHIFT = 0x7, 14
COUNTER_MASK, COUNTER_SHIFT = 0x3F, 18
LOGIC_MASK, LOGIC_SHIFT = 0xFF, 24
ADC_MULT = 1.8 / 163840  # volts per ADC unit after the ×4 scaling
N_RANGES = 5

DEFAULT_MODIFIERS: dict[str, Any] = {
    "Calibrated": None,
    "R": {"0": 1031.64, "1": 101.65, "2": 10.15, "3": 0.94, "4": 0.043},
    "GS": {str(i): 1.0 for i in range(N_RANGES)},
    "GI": {str(i): 1.0 for i in range(N_RANGES)},
    "O": {str(i): 0.0 for i in range(N_RANGES)},
    "S": {str(i): 0.0 for i in range(N_RANGES)},
    "I": {str(i): 0.0 for i in range(N_RANGES)},
    "UG": {str(i): 1.0 for i in range(N_RANGES)},
    "HW": None,
    "IA": None,
}
PER_RANGE_KEYS = ("R", "GS", "GI", "O", "S", "I", "UG")


def encode_source_voltage(mv: int) -> tuple[int, int]:
    """REGULATOR_SET argument bytes for ``mv`` (clamped to 800..5000 mV): the big-endian mV value."""
    mv = int(min(max(mv, VDD_MIN_MV), VDD_MAX_MV))
    diff = mv - VDD_MIN_MV + 32      # ppk2-api's formulation: 800 mV is (3, 32)
    return 3 + diff // 256, diff % 256


def decode_source_voltage(b1: int, b2: int) -> int:
    return (b1 << 8) | b2


def parse_metadata(text: str, modifiers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Calibration values from the PPK2's metadata text (``"KEY: value"`` lines up to ``END``).

    A zero resistor value ``Rn`` is ignored (some PPK2s report it; ppk2-api does the same).
    """
    mods = copy.deepcopy(modifiers or DEFAULT_MODIFIERS)
    if "END" not in text:
        raise MeterError("PPK2 metadata incomplete (no END): is this the PPK2's serial port?")
    for line in text.split("END")[0].splitlines():
        key, sep, value = line.strip().partition(": ")
        if not sep:
            continue
        if key in ("Calibrated", "HW", "IA"):
            mods[key] = value.strip()
            continue
        base, idx = key[:-1], key[-1:]
        if base in PER_RANGE_KEYS and idx.isdigit() and int(idx) < N_RANGES:
            try:
                v = float(value)
            except ValueError:
                raise MeterError(f"PPK2 metadata: {key} = {value!r} is not a number") from None
            if base == "R" and v == 0:
                continue
            mods[base][idx] = v
    return mods


class Ppk2Client:
    """The PPK2 serial protocol over a pyserial-like object (``write``, ``read``, ``in_waiting``).

    Method names match ppk2-api's ``PPK2_API``, so a real ``PPK2_API`` can stand in for it.
    ``get_samples`` returns currents in µA (as ppk2-api does) but as NumPy arrays, and without
    ppk2-api's spike filter (which only alters samples right after a range switch).
    """

    def __init__(self, ser, metadata_timeout_s: float = 2.0):
        self.ser = ser
        self.modifiers = copy.deepcopy(DEFAULT_MODIFIERS)
        self.current_vdd: int | None = None
        self.mode: str | None = None
        self.metadata_timeout_s = metadata_timeout_s
        self._remainder = b""
        self._last_counter: int | None = None
        self.missing_samples = 0

    @classmethod
    def open(cls, port: str) -> "Ppk2Client":
        try:
            import serial
        except ImportError:
            raise MeterError("the PPK2 meter needs pyserial: `pip install pyserial`") from None
        try:
            return cls(serial.serial_for_url(port, timeout=1, write_timeout=1))
        except serial.SerialException as e:
            raise MeterError(f"cannot open PPK2 serial port {port}: {e}") from None

    def _write(self, *data: int) -> None:
        self.ser.write(bytes(data))

    def get_modifiers(self) -> bool:
        self._write(Command.GET_META_DATA)
        deadline = time.monotonic() + self.metadata_timeout_s
        buf = b""
        while b"END" not in buf:
            waiting = self.ser.in_waiting
            if waiting:
                buf += self.ser.read(waiting)
            elif time.monotonic() > deadline:
                raise MeterError("no metadata from the PPK2 (no reply to GET_META_DATA): is this "
                                 "the PPK2's serial port, and is it powered?")
            else:
                time.sleep(0.01)
        self.modifiers = parse_metadata(buf.decode("utf-8", errors="replace"), self.modifiers)
        return True

    def use_source_meter(self) -> None:
        self.mode = "SOURCE_MODE"
        self._write(Command.SET_POWER_MODE, POWER_MODE_SOURCE)

    def use_ampere_meter(self) -> None:
        self.mode = "AMPERE_MODE"
        self._write(Command.SET_POWER_MODE, POWER_MODE_AMPERE)

    def set_source_voltage(self, mv: int) -> None:
        self._write(Command.REGULATOR_SET, *encode_source_voltage(mv))
        self.current_vdd = int(min(max(mv, VDD_MIN_MV), VDD_MAX_MV))

    def toggle_DUT_power(self, state: str) -> None:  # noqa: N802 (ppk2-api's name)
        if state not in ("ON", "OFF"):
            raise ValueError("state must be 'ON' or 'OFF'")
        self._write(Command.DEVICE_RUNNING_SET, 1 if state == "ON" else 0)

    def start_measuring(self) -> None:
        if not self.current_vdd:
            raise MeterError("PPK2: set the source voltage before measuring")
        self._remainder, self._last_counter, self.missing_samples = b"", None, 0
        self._write(Command.AVERAGE_START)

    def stop_measuring(self) -> None:
        self._write(Command.AVERAGE_STOP)

    def get_data(self) -> bytes:
        waiting = self.ser.in_waiting
        return self.ser.read(waiting) if waiting else b""

    def amps(self, rng: np.ndarray, adc: np.ndarray) -> np.ndarray:
        """Current in A from range indices and ADC values (already ×4), by the calibration."""
        m = self.modifiers

        def per_range(key):
            return np.array([float(m[key][str(i)]) for i in range(N_RANGES)])[rng]

        x = (adc - per_range("O")) * (ADC_MULT / per_range("R"))
        vdd = (self.current_vdd or 0) / 1000
        return per_range("UG") * (x * (per_range("GS") * x + per_range("GI"))
                                  + per_range("S") * vdd + per_range("I"))

    def get_samples(self, buf: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(currents in µA, logic bits) for the whole samples in ``buf``; a partial one is kept."""
        data = self._remainder + bytes(buf)
        n = len(data) // SAMPLE_BYTES
        self._remainder = data[n * SAMPLE_BYTES:]
        words = np.frombuffer(data[:n * SAMPLE_BYTES], dtype="<u4")
        adc = ((words >> ADC_SHIFT) & ADC_MASK).astype(np.float64) * 4
        rng = np.minimum((words >> RANGE_SHIFT) & RANGE_MASK, N_RANGES - 1).astype(np.intp)
        counter = ((words >> COUNTER_SHIFT) & COUNTER_MASK).astype(np.int64)
        if n:
            prev = counter[0] - 1 if self._last_counter is None else self._last_counter
            steps = np.diff(np.concatenate(([prev], counter))) % (COUNTER_MASK + 1)
            self.missing_samples += int(np.sum(steps - 1))  # a gap of k samples shows as step k+1
            self._last_counter = int(counter[-1])
        logic = ((words >> LOGIC_SHIFT) & LOGIC_MASK).astype(np.uint8)
        return self.amps(rng, adc) * 1e6, logic

    def close(self) -> None:
        close = getattr(self.ser, "close", None)
        if close:
            close()


class Ppk2Meter(EnergyMeter):
    """Energy drawn from a PPK2 in source mode: mean sampled current × source voltage × wall time.

    On first use it reads the calibration, selects source mode, sets ``voltage_mv`` and switches
    the DUT supply on (``power_on=False`` leaves the supply as it is). While measuring, a thread
    drains the serial port every ``poll_s`` seconds.
    """

    name = "ppk2"

    def __init__(self, port: str | None = None, voltage_mv: int = 3300, api: Any = None,
                 clock: Callable[[], float] = monotonic, poll_s: float = 0.005,
                 power_on: bool = True):
        if not VDD_MIN_MV <= int(voltage_mv) <= VDD_MAX_MV:
            raise ValueError(f"PPK2 source voltage must be {VDD_MIN_MV}..{VDD_MAX_MV} mV, "
                             f"got {voltage_mv}")
        if port is None and api is None:
            raise ValueError("Ppk2Meter needs a serial port (or an api object)")
        self.port = port
        self.voltage_mv = int(voltage_mv)
        self._api = api
        self._owns_api = api is None
        self._clock = clock
        self.poll_s = poll_s
        self.power_on = power_on
        self._ready = False
        self._chunks: list[bytes] = []
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._t0: float | None = None

    @property
    def api(self):
        if self._api is None:
            self._api = Ppk2Client.open(self.port)
        return self._api

    @property
    def source(self) -> str:
        where = f" on {self.port}" if self.port else ""
        return (f"PPK2{where} source meter at {self.voltage_mv} mV, supply rail current "
                f"(measured)")

    def setup(self) -> None:
        """Read calibration, select source mode and voltage, power the DUT. Runs once."""
        if self._ready:
            return
        api = self.api
        if not api.get_modifiers():
            raise MeterError(f"PPK2{' ' + self.port if self.port else ''}: no valid metadata")
        api.use_source_meter()
        api.set_source_voltage(self.voltage_mv)
        if self.power_on:
            api.toggle_DUT_power("ON")
        self._ready = True

    def _poll(self) -> None:
        while not self._halt.wait(self.poll_s):
            self._drain()

    def _drain(self) -> None:
        with self._lock:
            data = self.api.get_data()
            if data:
                self._chunks.append(data)

    def start(self) -> None:
        self.setup()
        self._drain()
        self._chunks = []
        self.api.start_measuring()
        self._t0 = self._clock()
        self._halt.clear()
        self._thread = threading.Thread(target=self._poll, name="ppk2-poll", daemon=True)
        self._thread.start()

    def stop(self) -> EnergyReading:
        if self._t0 is None:
            raise MeterError("stop() without start()")
        t1 = self._clock()
        self.api.stop_measuring()
        self._halt.set()
        self._thread.join()
        self._drain()
        seconds, self._t0 = t1 - self._t0, None
        buf = b"".join(self._chunks)
        self._chunks = []
        buf = buf[:len(buf) - len(buf) % SAMPLE_BYTES]
        if not buf:
            raise MeterError("the PPK2 sent no samples during the interval")
        samples_ua, _ = self.api.get_samples(buf)
        amps = np.asarray(samples_ua, dtype=np.float64) * 1e-6
        volts = self.voltage_mv / 1000
        mean_a = float(amps.mean())
        n = len(amps)
        details = {"port": self.port, "voltage_mv": self.voltage_mv, "samples": n,
                   "sample_rate_hz": SAMPLE_RATE_HZ, "sample_seconds": n / SAMPLE_RATE_HZ,
                   "mean_current_a": mean_a, "max_current_a": float(amps.max()),
                   "sample_integral_joules": float(amps.sum()) * volts / SAMPLE_RATE_HZ,
                   "coverage": (n / SAMPLE_RATE_HZ) / seconds if seconds > 0 else None}
        missing = getattr(self.api, "missing_samples", None)
        if missing is not None:
            details["missing_samples"] = missing
        return EnergyReading(joules=mean_a * volts * seconds, seconds=seconds, source=self.source,
                             measured=True, details=details)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._halt.set()
            self._thread.join()
        if self._owns_api and self._api is not None:   # only close what we opened
            close = getattr(self._api, "close", None)
            if close:
                close()
            self._api = None
        self._ready = False
