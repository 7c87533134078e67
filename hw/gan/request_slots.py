"""The engine's request slots: where each image's z and label wait while its batch computes."""

from __future__ import annotations

from amaranth import Signal

__all__ = ["fill_slots"]


def fill_slots(m, requests, slots, take, fill) -> None:
    """Write ``requests`` (values: z, its mask, the label) into ``slots[fill]`` (one list of
    registers per image, in the same order) a clock after ``take``.

    The request passes through a register, and each slot has a registered select of its own:
    the take (start and ready) reached every slot's flip-flops, across the chip, in the clock
    it was decided.
    """
    staged = [Signal.like(value, name=f"request{n}", reset_less=True)
              for n, value in enumerate(requests)]
    m.d.sync += [s.eq(value) for s, value in zip(staged, requests)]
    for i, slot in enumerate(slots):
        load = Signal(name=f"load_slot{i}")
        m.d.sync += load.eq(take & (fill == i))
        with m.If(load):
            m.d.sync += [register.eq(s) for register, s in zip(slot, staged)]
