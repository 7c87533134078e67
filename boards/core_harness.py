"""Build a core on its own, to measure its utilization and fmax on a real device.

Without a device top a core's ports would float and synthesis would remove it. The harness
drives every input from one long shift register fed by a pin and folds every output into one
LED by XOR, so the whole core survives placement while costing only a shift register and an
XOR tree on top of it, both registered so that the reported fmax is the core's.
"""

from __future__ import annotations

from typing import Callable

from amaranth import Cat, Elaboratable, Module, Signal, Value
from amaranth.lib import io, wiring

__all__ = ["CoreHarness"]

#: Bits XORed per register of the output fold: 16 is two LUT levels.
FOLD_WIDTH = 16


class CoreHarness(Elaboratable):
    """Wraps ``make_core()`` (a ``wiring.Component``) between a pin-fed shift register and an LED."""

    def __init__(self, make_core: Callable[[], wiring.Component]):
        self.make_core = make_core

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self.make_core()
        inputs, outputs = [], []
        for path, member, value in core.signature.flatten(core):
            (inputs if member.flow == wiring.In else outputs).append(Value.cast(value))
        width = sum(len(v) for v in inputs)
        # The harness's own registers are reset-less: they are a measurement fixture, and a
        # reset net to the ~1 500 of them beside a wide core would be a long path of its own.
        shift = Signal(width, reset_less=True)

        pin_in = platform.request("uart", 0, dir={"rx": "-", "tx": "-"})
        led = platform.request("led", 0, dir="-")
        m.submodules.shift_in = shift_in = io.Buffer("i", pin_in.rx)
        m.submodules.fold_out = fold_out = io.Buffer("o", led)
        m.d.sync += shift.eq(Cat(shift_in.i, shift[:-1]))
        offset = 0
        for value in inputs:
            m.d.comb += value.eq(shift[offset:offset + len(value)])
            offset += len(value)
        # Register the outputs before folding them, so the harness adds no long paths of its
        # own (a block-RAM output feeding an XOR tree would otherwise set the fmax).
        captured = Signal(sum(len(v) for v in outputs), reset_less=True)
        m.d.sync += captured.eq(Cat(*outputs))
        # The fold is a registered tree, FOLD_WIDTH bits per register: one XOR of ~2 000
        # captured bits was the critical path of a 4-tile build (14.4 ns, 12 ns of it routing).
        level = captured
        while len(level) > 1:
            parts = [level[i:i + FOLD_WIDTH].xor() for i in range(0, len(level), FOLD_WIDTH)]
            folded = Signal(len(parts), reset_less=True)
            m.d.sync += folded.eq(Cat(*parts))
            level = folded
        m.d.comb += fold_out.o.eq(level)
        return m
