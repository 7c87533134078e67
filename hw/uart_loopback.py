"""The smallest complete device: bytes received on the UART are sent back unchanged.

It exercises the whole flow (elaboration, simulation against a reference, board builds) and is
the first sanity check on a new board: everything typed into a terminal comes back.
"""

from amaranth import Module
from amaranth.lib import fifo, wiring
from amaranth.lib.wiring import In, Out

from .uart import UARTReceiver, UARTTransmitter, check_divisor

__all__ = ["UARTLoopback"]


class UARTLoopback(wiring.Component):
    """UART receiver -> synchronous FIFO -> UART transmitter.

    The FIFO absorbs the difference between the sender's bit clock and ours: with both at the
    nominal rate a byte is never dropped, and a burst of up to ``fifo_depth`` bytes survives a
    transmitter that runs a few percent slow.
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)

    def __init__(self, divisor: int, fifo_depth: int = 16):
        self.divisor = check_divisor(divisor)
        if not isinstance(fifo_depth, int) or fifo_depth < 1:
            raise ValueError(f"fifo_depth must be a positive integer, not {fifo_depth!r}")
        self.fifo_depth = fifo_depth
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.receiver = receiver = UARTReceiver(self.divisor)
        m.submodules.transmitter = transmitter = UARTTransmitter(self.divisor)
        m.submodules.buffer = buffer = fifo.SyncFIFOBuffered(width=8, depth=self.fifo_depth)
        wiring.connect(m, receiver.o_stream, buffer.w_stream)
        wiring.connect(m, buffer.r_stream, transmitter.i_stream)
        m.d.comb += [receiver.rx.eq(self.rx), self.tx.eq(transmitter.tx)]
        return m
