"""A cocotb bench that must fail: it expects the loopback to change the byte it echoes."""

import cocotb
from cocotb.triggers import ClockCycles

from bitspin.sim.testbench import start_clock_and_reset


@cocotb.test()
async def echo_is_inverted(dut):
    dut.rx.value = 1
    await start_clock_and_reset(dut)
    await ClockCycles(dut.clk, 4)
    assert int(dut.tx.value) == 0, "MARKER-7f3a: the idle line is high, as it should be"
