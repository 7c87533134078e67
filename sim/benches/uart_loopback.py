"""cocotb bench for hw.uart_loopback: every well-formed frame is echoed, checked by the NumPy line model."""

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from bitspin.sim.testbench import args, report, start_clock_and_reset
from bitspin.sim import uart_model


async def _drive_and_capture(dut, line: np.ndarray, tail: int) -> np.ndarray:
    captured = np.ones(len(line) + tail, dtype=np.uint8)
    for t in range(len(captured)):
        dut.rx.value = int(line[t]) if t < len(line) else 1
        await RisingEdge(dut.clk)
        captured[t] = int(dut.tx.value)
    return captured


@cocotb.test()
async def echoes_random_bytes(dut):
    a = args()
    divisor, data = a["divisor"], bytes(a["data"])
    line = uart_model.encode(data, divisor, a["gaps"], lead_in=3)
    dut.rx.value = 1  # an undriven input reads 0 in Verilator: a start bit during reset
    await start_clock_and_reset(dut)
    captured = await _drive_and_capture(dut, line, tail=14 * divisor)
    echoed = uart_model.decode(captured, divisor)
    report(echoed=list(echoed), clocks=len(captured))
    assert echoed == data, f"sent {data.hex()} but the loopback echoed {echoed.hex()}"


@cocotb.test()
async def drops_a_bad_frame_and_recovers(dut):
    a = args()
    divisor, data = a["divisor"], bytes(a["data"][:4])
    bad = uart_model.encode(b"\xa5", divisor)
    bad[-divisor:] = 0  # the stop bit is low: a framing error
    line = np.concatenate([bad, np.ones(2 * divisor, np.uint8),
                           uart_model.encode(data, divisor, lead_in=divisor)])
    dut.rx.value = 1
    await start_clock_and_reset(dut)
    captured = await _drive_and_capture(dut, line, tail=14 * divisor)
    echoed = uart_model.decode(captured, divisor)
    assert echoed == data, f"after a framing error expected {data.hex()}, got {echoed.hex()}"
