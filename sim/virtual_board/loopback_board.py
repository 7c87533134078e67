"""The smallest virtual board top: :class:`hw.uart_loopback.UARTLoopback` plus the activity pin.

It follows the top contract (``rx``, ``tx``, ``activity``) so the harness, the transport and host
tools can be checked end to end without the real device top.
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.uart import check_divisor
from bitspin.hw.uart_loopback import UARTLoopback

__all__ = ["LoopbackBoard"]


class LoopbackBoard(wiring.Component):
    """Echoes every byte. ``activity`` stays low: the echo of a frame begins within a bit time
    of its stop bit, well inside the harness's quiet period, so the clock never needs holding.

    The FIFO is deeper than :class:`UARTLoopback`'s default because the transmitter spends
    ``10 * divisor + 1`` clocks per frame while frames arrive back to back every ``10 * divisor``:
    a sustained stream gains one clock of backlog per byte, so ``fifo_depth`` bytes of buffer
    carry bursts of about ``fifo_depth * 10 * divisor`` bytes without loss (20 KB at divisor 4).
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)
    activity: Out(1)

    def __init__(self, divisor: int, fifo_depth: int = 512):
        self.divisor = check_divisor(divisor)
        self.fifo_depth = fifo_depth
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.loopback = loopback = UARTLoopback(self.divisor, self.fifo_depth)
        m.d.comb += [loopback.rx.eq(self.rx), self.tx.eq(loopback.tx)]
        return m
