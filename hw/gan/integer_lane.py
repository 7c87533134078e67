"""The last layer's datapath: B binary inputs times signed integer weights, summed per clock."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.gated_sum import GatedSum
from bitspin.hw.ising.popcount import balanced_sum

__all__ = ["IntegerLane", "GROUP", "total_bits"]

#: Terms summed per partial sum in the tree's first pipeline stage.
GROUP = 8


def total_bits(chunk_bits: int, weight_bits: int) -> int:
    """Signed width of a weight word's total: |Σ w| ≤ chunk_bits · (2^(weight_bits−1) − 1)."""
    return (chunk_bits * ((1 << (weight_bits - 1)) - 1)).bit_length() + 1


class IntegerLane(wiring.Component):
    """One output pixel of the integer layer: ``acc += Σ_i (a_i ? w_i : −w_i)``.

    The weights are ``weight_bits``-bit two's complement, packed input i at bits
    [i·weight_bits, (i+1)·weight_bits), and the word's total W = Σ_i w_i above them
    (:func:`total_bits` wide, two's complement; the engine image stores it, so the batch shares
    it instead of each image summing it). Binary inputs mean no multiplier:
    ``Σ_i (a_i ? w_i : −w_i) = 2·Σ_i a_i·w_i − W``, and each gated term a_i·w_i is w or 0, summed
    by partial sums of ``GROUP`` terms (:class:`~hw.gan.gated_sum.GatedSum`: hand-mapped carry
    chains on ECP5 unless ``hand_mapped`` is False), then a balanced tree of those. A padding
    input must have a zero weight. The label term (the weight of the label plane at this tap)
    is added with ``add_label``; ``first`` restarts the sum.

    Three pipeline stages: partial sums of ``GROUP`` terms, then the tree's total, then the
    accumulator; ``result`` holds the finished sum for one clock with ``result_valid``, three
    clocks after the ``last`` inputs. (One 64-term tree in one clock held the ECP5 build below
    40 MHz.)
    """

    def __init__(self, chunk_bits: int, weight_bits: int, acc_bits: int,
                 hand_mapped: bool = True):
        for name, value, low in (("chunk_bits", chunk_bits, 1), ("weight_bits", weight_bits, 2),
                                 ("acc_bits", acc_bits, 2)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, not {value!r}")
        self.chunk_bits, self.weight_bits, self.acc_bits = chunk_bits, weight_bits, acc_bits
        self.hand_mapped = bool(hand_mapped)
        self.total_bits = total_bits(chunk_bits, weight_bits)
        super().__init__({
            "valid": In(1), "first": In(1), "last": In(1), "add_label": In(1),
            "activations": In(chunk_bits),
            "weights": In(chunk_bits * weight_bits + self.total_bits),
            "label": In(signed(weight_bits)),
            "result_valid": Out(1), "result": Out(signed(acc_bits)),
        })

    def elaborate(self, platform):
        m = Module()
        wb = self.weight_bits
        partials = []
        for start in range(0, self.chunk_bits, GROUP):
            size = min(GROUP, self.chunk_bits - start)
            m.submodules[f"group{start // GROUP}"] = group = GatedSum(size, wb, self.hand_mapped)
            m.d.comb += [group.a.eq(self.activations[start:start + size]),
                         group.w.eq(self.weights[start * wb:(start + size) * wb])]
            partial = Signal.like(group.total, name=f"partial{start // GROUP}", reset_less=True)
            m.d.sync += partial.eq(group.total)
            partials.append(partial)
        # Stage 1 also takes the label term and the word's total off the inputs.
        offset = Signal(signed(max(self.weight_bits, self.total_bits) + 1), reset_less=True)
        total_w = self.weights[self.chunk_bits * wb:].as_signed()
        tags = Signal(4)
        m.d.sync += [offset.eq(Mux(self.add_label, self.label, 0) - total_w),
                     tags.eq(Cat(self.valid, self.first, self.last & self.valid))]
        chunk_sum = Signal(signed(self.acc_bits), reset_less=True)
        valid, first, last = Signal(), Signal(), Signal()
        m.d.sync += [chunk_sum.eq((balanced_sum(partials) << 1) + offset),
                     valid.eq(tags[0]), first.eq(tags[1]), last.eq(tags[2])]
        acc = Signal(signed(self.acc_bits), reset_less=True)
        total = Signal(signed(self.acc_bits))
        m.d.comb += total.eq(Mux(first, 0, acc) + chunk_sum)
        with m.If(valid):
            m.d.sync += acc.eq(total)
        m.d.sync += [self.result_valid.eq(last), self.result.eq(total)]
        return m
