"""An 8N1 UART: a transmitter and a receiver with stream interfaces.

The bit period is ``divisor`` clocks, fixed at elaboration; at a 48 MHz core clock a divisor of 16
gives 3 Mbaud. Both directions send the least significant bit first, one start bit (0) and one
stop bit (1); the line idles high.
"""

from amaranth import Cat, C, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["UARTTransmitter", "UARTReceiver", "check_divisor"]

FRAME_BITS = 10  # start + 8 data + stop


def check_divisor(divisor) -> int:
    """Validate a bit period in clocks; the receiver samples mid-bit, so it needs at least 4."""
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 4:
        raise ValueError(f"UART divisor must be an integer of at least 4 clocks per bit, "
                         f"not {divisor!r}")
    return divisor


class UARTTransmitter(wiring.Component):
    """Serializes each byte of ``i_stream`` onto ``tx``.

    ``i_stream.ready`` is high only while the line is idle, so a byte is accepted exactly when
    its frame starts; back-to-back bytes leave no gap after the stop bit. Cost: a 10-bit shift
    register, a 4-bit bit counter and a ``log2(divisor)``-bit timer.
    """

    i_stream: In(stream.Signature(8))
    tx: Out(1, init=1)

    def __init__(self, divisor: int):
        self.divisor = check_divisor(divisor)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        frame = Signal(FRAME_BITS, init=(1 << FRAME_BITS) - 1)  # shifted out LSB first
        bits_left = Signal(range(FRAME_BITS + 1))
        timer = Signal(range(self.divisor))

        m.d.comb += [
            self.tx.eq(frame[0]),
            self.i_stream.ready.eq(bits_left == 0),
        ]
        with m.If(bits_left == 0):
            with m.If(self.i_stream.valid):
                m.d.sync += [
                    frame.eq(Cat(C(0, 1), self.i_stream.payload, C(1, 1))),
                    bits_left.eq(FRAME_BITS),
                    timer.eq(self.divisor - 1),
                ]
        with m.Elif(timer == 0):
            # Shifting ones in leaves the line idle-high once the stop bit has gone out.
            m.d.sync += [
                frame.eq(Cat(frame[1:], C(1, 1))),
                bits_left.eq(bits_left - 1),
                timer.eq(self.divisor - 1),
            ]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
        return m


class UARTReceiver(wiring.Component):
    """Deserializes ``rx`` into bytes on ``o_stream``.

    ``rx`` passes through a two-flop synchronizer, so it may come straight from a pin. A falling
    edge starts a frame; every bit is sampled in the middle of its period. A frame whose stop bit
    is low is dropped and pulses ``framing_error``; a byte that arrives while the previous one is
    still unaccepted is dropped and pulses ``overrun``. Neither stalls the receiver.
    """

    rx: In(1, init=1)
    o_stream: Out(stream.Signature(8))
    framing_error: Out(1)
    overrun: Out(1)

    def __init__(self, divisor: int):
        self.divisor = check_divisor(divisor)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.submodules.rx_sync = FFSynchronizer(self.rx, rx, init=1)

        shreg = Signal(8)
        bit_index = Signal(range(8))
        timer = Signal(range(self.divisor))

        with m.If(self.o_stream.ready):
            m.d.sync += self.o_stream.valid.eq(0)
        m.d.comb += self.o_stream.payload.eq(shreg)
        m.d.sync += [self.framing_error.eq(0), self.overrun.eq(0)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    m.d.sync += timer.eq(self.divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(rx):
                    m.next = "IDLE"  # a glitch, not a start bit
                with m.Else():
                    m.d.sync += [timer.eq(self.divisor - 1), bit_index.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shreg.eq(Cat(shreg[1:], rx)), timer.eq(self.divisor - 1),
                                 bit_index.eq(bit_index + 1)]
                    with m.If(bit_index == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(~rx):
                    m.d.sync += self.framing_error.eq(1)
                    m.next = "BREAK"
                with m.Else():
                    with m.If(self.o_stream.valid & ~self.o_stream.ready):
                        m.d.sync += self.overrun.eq(1)
                    with m.Else():
                        m.d.sync += self.o_stream.valid.eq(1)
                    m.next = "IDLE"
            with m.State("BREAK"):
                # After a framing error, wait for the line to return high before hunting again.
                with m.If(rx):
                    m.next = "IDLE"
        return m
