"""Helpers for cocotb test modules run by :func:`sim.simulate`.

They run inside the simulator process: :func:`args` reads the parameters :func:`sim.simulate`
was given, :func:`report` hands results back to it, and :func:`start_clock_and_reset` brings up
the ``sync`` domain of an Amaranth top.
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

__all__ = ["args", "report", "start_clock_and_reset"]


def args() -> dict:
    """The ``args`` dict passed to :func:`sim.simulate`."""
    path = os.environ.get("BITSPIN_SIM_ARGS_FILE")
    if not path:
        return {}
    with open(path) as handle:
        return json.load(handle)


def report(**values) -> None:
    """Merge JSON-serializable ``values`` into the result's ``outputs`` dict."""
    path = os.environ.get("BITSPIN_SIM_OUTPUTS")
    if not path:
        return
    current = json.load(open(path)) if os.path.exists(path) else {}
    current.update(values)
    with open(path, "w") as handle:
        json.dump(current, handle)


async def start_clock_and_reset(dut, period_ns: int = 10, reset_cycles: int = 2):
    """Start ``dut.clk`` and hold ``dut.rst`` for ``reset_cycles`` rising edges."""
    cocotb.start_soon(Clock(dut.clk, period_ns, unit="ns").start())
    dut.rst.value = 1
    await ClockCycles(dut.clk, reset_cycles)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
