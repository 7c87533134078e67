"""A board top that wires a core's ``rx``/``tx`` ports to the board's USB-UART pins."""

from __future__ import annotations

from typing import Callable

from amaranth import Elaboratable, Module
from amaranth.lib import io

__all__ = ["UARTPinsTop"]


class UARTPinsTop(Elaboratable):
    """Instantiates ``make_core(clock_hz)`` in the board's default clock domain and connects its
    ``rx`` input and ``tx`` output to ``uart`` resource 0 of the platform."""

    def __init__(self, make_core: Callable[[float], Elaboratable]):
        self.make_core = make_core

    def elaborate(self, platform):
        m = Module()
        core = self.make_core(platform.default_clk_frequency)
        m.submodules.core = core
        pins = platform.request("uart", 0, dir={"rx": "-", "tx": "-"})
        m.submodules.rx_buffer = rx_buffer = io.Buffer("i", pins.rx)
        m.submodules.tx_buffer = tx_buffer = io.Buffer("o", pins.tx)
        m.d.comb += [core.rx.eq(rx_buffer.i), tx_buffer.o.eq(core.tx)]
        return m
