"""The last layer's output: a sum biased and clipped to an index of the sigmoid table."""

from __future__ import annotations

from amaranth import Signal, signed

__all__ = ["table_index"]


def table_index(m, result, bias, table_size: int, name: str) -> Signal:
    """A register of ``result + bias`` clipped to 0 … ``table_size`` − 1, a clock later."""
    biased = Signal(signed(max(len(result), len(bias)) + 1), name=f"biased_{name}")
    index = Signal(range(table_size), name=f"index_{name}")
    m.d.comb += biased.eq(result + bias)
    with m.If(biased < 0):
        m.d.comb += index.eq(0)
    with m.Elif(biased > table_size - 1):
        m.d.comb += index.eq(table_size - 1)
    with m.Else():
        m.d.comb += index.eq(biased)
    registered = Signal.like(index, name=f"table_index_{name}", reset_less=True)
    m.d.sync += registered.eq(index)
    return registered
