"""The Ising core's timing-closure constants, each with the build that set it, the reset-less
datapath register, and the local copy of the domain reset."""

from amaranth import Cat, ResetSignal, Signal

from ..replica import REPLICA_TAG
from .popcount import delayed

__all__ = ["LANES_PER_COPY", "POPCOUNT_CHUNK", "WORD_SLICE", "SUM_FAN_IN", "data_reg",
           "reset_hold"]

# Control signals that every lane reads (the RNG advance, the colour, the stage-T mode and valid
# bits) are registered once per LANES_PER_COPY lanes (``bitspin.hw.replica``): as single nets to all
# lanes they were the critical paths at L=256, P=256 (the RNG advance alone: 12 ns of routing
# to 16 384 flip-flops).
LANES_PER_COPY = 4

# Bits pop-counted per partial sum in stage T: 64 limited an L=64, P=16 build to about 100 MHz,
# and 32 was the critical path of an L=256, P=256 build at 84.6 MHz (nine LUT levels, a carry).
POPCOUNT_CHUNK = 16
WORD_SLICE = 64  # window bits per copy of the shift and priming enables
SUM_FAN_IN = 4  # values added per register of the count trees (``pipelined_sum``)


def data_reg(width: int, name: str | None = None) -> Signal:
    """A datapath register: no sync reset (see the reset note in ``IsingCore.elaborate``)."""
    return Signal(width, name=name, reset_less=True, src_loc_at=1)


def reset_hold(m, name: str, clocks: int = 1) -> Signal:
    """High from two clocks after the domain reset rises until ``clocks`` + 1 clocks after it
    falls.

    A local, registered copy of the reset: the registers it clears are reset-less, so the
    domain's reset net (one net from the harness's PLL reset) reaches one flip-flop per caller
    instead of every counter (run 22's critical path, 10.6 ns of routing). ``clocks`` covers the
    reset-less pipeline in front of those registers, whose stale contents must not count.
    """
    line = delayed(m, ResetSignal(allow_reset_less=True), clocks, f"{name}{REPLICA_TAG}",
                   reset_less=True)
    hold = Signal(name=f"{name}{REPLICA_TAG}", reset_less=True)
    m.d.sync += hold.eq(Cat(*line).any())
    return hold
