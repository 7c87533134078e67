"""The register bus between the command handler (initiator) and the register blocks."""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.device.register_map import BLOCK_ADDRESS_BITS

__all__ = ["RegisterBus", "READ_LATENCY"]

#: Clocks from ``r_stb`` to valid ``r_data`` at a block (the block registers its read data, or
#: reads a synchronous memory). The device core adds one more for the block select.
READ_LATENCY = 1

#: ``addr`` is a block-local word address (``BLOCK_ADDRESS_BITS``). ``r_stb`` asks for a read of ``addr``
#: (a FIFO port pops on it); ``w_stb`` writes ``w_data`` to ``addr``. One strobe per cycle.
RegisterBus = wiring.Signature({
    "addr": Out(BLOCK_ADDRESS_BITS), "r_stb": Out(1), "r_data": In(32), "w_stb": Out(1), "w_data": Out(32),
})
