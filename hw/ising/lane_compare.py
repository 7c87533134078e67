"""The lanes' random numbers and their compares, on their own: what a lane costs besides the
window, the table and the write-back, for either generator (``bitspin build --design lanes``)."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..replica import group_count, registered_copies
from .lane_rngs import lane_rngs
from .params import LANE_RNGS
from .timing import LANES_PER_COPY

__all__ = ["LaneCompare"]


class LaneCompare(wiring.Component):
    """P lanes: ``flips[i]`` = (lane i's k-bit random number < ``threshold``), registered,
    with the RNGs advanced and seeded as the core does (xoroshiro lanes: a 64-bit shift chain;
    wheels: :class:`.wheel_rng.WheelRngBank`)."""

    def __init__(self, lanes: int, k: int, rng: str):
        if rng not in LANE_RNGS:
            raise ValueError(f"rng must be one of {', '.join(LANE_RNGS)}, not {rng!r}")
        self.lanes, self.k, self.rng = lanes, k, rng
        super().__init__({"advance": In(1), "load": In(1), "load_value": In(64),
                          "seed_start": In(1),
                          # One threshold for all: the harness feeds inputs through a shift
                          # register, and P·(k+1) of them made Yosys's recursion overflow.
                          "threshold": In(k + 1),
                          "flips": Out(lanes)})

    def elaborate(self, platform):
        m = Module()
        P, k = self.lanes, self.k
        copies = group_count(P, LANES_PER_COPY)
        advance = registered_copies(m, self.advance, copies, "rng_advance", reset_less=True)
        load = registered_copies(m, self.load, copies, "rng_load", reset_less=True)
        values, _ = lane_rngs(m, self.rng, P, k, advance=advance, load=load,
                           load_value=self.load_value, seed_start=self.seed_start)
        # As in the core: the number is registered (stage T), then compared (stage B) with a
        # threshold held beside the lane (the core's lanes read their own table copies; one
        # threshold net to every comparator would measure the harness, not the lanes).
        thresholds = registered_copies(m, self.threshold, copies, "threshold", reset_less=True)
        for i, value in enumerate(values):
            drawn = Signal(k, name=f"drawn{i}", reset_less=True)
            m.d.sync += [drawn.eq(value),
                         self.flips[i].eq(drawn < thresholds[i // LANES_PER_COPY])]
        return m
