"""Whole-GPU-board energy from NVIDIA NVML (``nvmlDeviceGetTotalEnergyConsumption``, Volta and later).

What it measures: the energy the board (GPU, its memory, VRM, fans) drew since the driver loaded,
in millijoules. It covers every process on that GPU, not only ours, and nothing off the board
(CPU, host memory, power supply losses).

Needs the ``pynvml`` module from the PyPI package ``nvidia-ml-py``; it is imported lazily.
"""

from __future__ import annotations

from typing import Any, Callable

from .meter import EnergyMeter, EnergyReading, MeterError, monotonic

NVML_ERROR_NOT_SUPPORTED = 3  # nvml.h: NVML_ERROR_NOT_SUPPORTED


def _import_pynvml():
    try:
        import pynvml
    except ImportError:
        raise MeterError("the NVML meter needs the pynvml module: `pip install nvidia-ml-py` "
                         "(and an NVIDIA driver)") from None
    return pynvml


class NvmlMeter(EnergyMeter):
    """Energy of GPU ``index`` from NVML's total-energy counter.

    ``nvml`` is the ``pynvml`` module, or a stand-in with the same functions (tests inject one).
    """

    name = "nvml"

    def __init__(self, index: int = 0, nvml: Any = None, clock: Callable[[], float] = monotonic):
        self.index = int(index)
        self._nvml = nvml
        self._clock = clock
        self._handle = None
        self._initialised = False
        self.device_name: str | None = None
        self._start: tuple[int, float] | None = None

    @property
    def nvml(self):
        if self._nvml is None:
            self._nvml = _import_pynvml()
        return self._nvml

    @classmethod
    def available(cls, index: int = 0, nvml: Any = None) -> tuple[bool, str]:
        meter = cls(index, nvml=nvml)
        try:
            meter._open()
            meter._energy_mj()
        except MeterError as e:
            return False, str(e)
        finally:
            meter.close()
        return True, f"NVML GPU {index} ({meter.device_name}) reports total energy"

    def _error(self, what: str, err: Exception) -> MeterError:
        value = getattr(err, "value", None)
        if value == NVML_ERROR_NOT_SUPPORTED:
            return MeterError(f"NVML GPU {self.index}: {what} is not supported on this GPU "
                              f"(total-energy counters need a Volta or newer GPU): {err}")
        return MeterError(f"NVML GPU {self.index}: {what} failed: {err}")

    def _open(self) -> None:
        if self._handle is not None:
            return
        nvml = self.nvml
        try:
            nvml.nvmlInit()
            self._initialised = True
            self._handle = nvml.nvmlDeviceGetHandleByIndex(self.index)
        except nvml.NVMLError as e:
            raise self._error("initialisation / device lookup", e) from None
        try:
            name = nvml.nvmlDeviceGetName(self._handle)
            self.device_name = name.decode() if isinstance(name, bytes) else str(name)
        except nvml.NVMLError:
            self.device_name = None

    def _energy_mj(self) -> int:
        nvml = self.nvml
        try:
            return int(nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))
        except nvml.NVMLError as e:
            raise self._error("nvmlDeviceGetTotalEnergyConsumption", e) from None

    @property
    def source(self) -> str:
        name = f" {self.device_name}" if self.device_name else ""
        return f"NVML GPU {self.index}{name} total board energy (measured)"

    def start(self) -> None:
        self._open()
        self._start = (self._energy_mj(), self._clock())

    def stop(self) -> EnergyReading:
        if self._start is None:
            raise MeterError("stop() without start()")
        e1, t1 = self._energy_mj(), self._clock()
        e0, t0 = self._start
        self._start = None
        return EnergyReading(joules=(e1 - e0) * 1e-3, seconds=t1 - t0, source=self.source,
                             measured=True,
                             details={"gpu_index": self.index, "energy_mj_start": e0,
                                      "energy_mj_stop": e1})

    def close(self) -> None:
        if self._initialised:
            try:
                self.nvml.nvmlShutdown()
            except Exception:
                pass
        self._initialised = False
        self._handle = None
