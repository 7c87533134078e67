"""The binary layers' datapath: M lanes, each XNOR-popcounting B bits per clock into an accumulator."""

from __future__ import annotations

from amaranth import Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.xnor_popcount_tree import XnorPopcount

__all__ = ["XnorPopcountArray"]


class XnorPopcountArray(wiring.Component):
    """``lanes`` output channels in parallel, ``chunk_bits`` inputs each per clock.

    Every input bit is a ±1 value (1 = +1, 0 = −1); there is no mask. Lane m adds
    ``2·popcount(~(a ^ w)) − correction`` per chunk (``correction`` is the chunk's constant, the
    same for every lane: see :mod:`hw.gan.plan` for how padding and the zeros of z cancel in
    it), plus the lane's label term when ``add_label`` is set (``label_bits`` = 1: bit 1 is +1
    and 0 is −1; wider: two's complement), and restarts from 0 on ``first``.

    Two pipeline stages: popcounts are registered, then the accumulator. On ``last`` the
    finished sum is compared with the lane's threshold τ (``acc ≥ τ``, or ``acc ≤ τ`` when the
    lane's flip bit is set; batch norm with γ < 0) and ``result`` holds the M output bits
    (1 = +1) for one clock with ``result_valid``, two clocks after the inputs.

    ``acc_bits`` must hold every |sum| of a layer (its fan-in); intermediate sums are exact.
    Threshold word of lane m: bit 0 = flip, bits 1 … ``acc_bits`` = τ (two's complement).
    Cost: M popcounts of B bits (:class:`XnorPopcount`, hand-mapped on ECP5 unless
    ``hand_mapped`` is False) and M accumulators.
    """

    def __init__(self, lanes: int, chunk_bits: int, acc_bits: int, label_bits: int,
                 hand_mapped: bool = True):
        for name, value, low in (("lanes", lanes, 1), ("chunk_bits", chunk_bits, 1),
                                 ("acc_bits", acc_bits, 2), ("label_bits", label_bits, 1)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, not {value!r}")
        self.lanes, self.chunk_bits = lanes, chunk_bits
        self.acc_bits, self.label_bits = acc_bits, label_bits
        self.hand_mapped = bool(hand_mapped)
        super().__init__({
            "valid": In(1), "first": In(1), "last": In(1), "add_label": In(1),
            "activations": In(chunk_bits), "correction": In(range(2 * chunk_bits + 1)),
            "weights": In(lanes * chunk_bits), "labels": In(lanes * label_bits),
            "thresholds": In(lanes * (acc_bits + 1)),
            "result_valid": Out(1), "result": Out(lanes),
        })

    def elaborate(self, platform):
        from amaranth import Module
        m = Module()
        m_lanes, b = self.lanes, self.chunk_bits
        count_shape = unsigned(b.bit_length())
        # Stage 1: popcounts, and the operands that travel with them.
        ones = [Signal(count_shape, name=f"ones{i}") for i in range(m_lanes)]
        correction = Signal.like(self.correction)
        label = [Signal(signed(max(2, self.label_bits)), name=f"label{i}")
                 for i in range(m_lanes)]
        tau = [Signal(signed(self.acc_bits), name=f"tau{i}") for i in range(m_lanes)]
        flip = Signal(m_lanes)
        valid, first, last = Signal(), Signal(), Signal()
        m.d.sync += [correction.eq(self.correction), valid.eq(self.valid),
                     first.eq(self.first), last.eq(self.last & self.valid)]
        for i in range(m_lanes):
            w = self.weights[i * b:(i + 1) * b]
            word = self.thresholds[i * (self.acc_bits + 1):(i + 1) * (self.acc_bits + 1)]
            lab = self.labels[i * self.label_bits:(i + 1) * self.label_bits]
            # One bit: the term is ±1 (1 = +1); wider: two's complement.
            lab = Mux(lab[0], 1, -1) if self.label_bits == 1 else lab.as_signed()
            m.submodules[f"count{i}"] = count = XnorPopcount(b, self.hand_mapped)
            m.d.comb += [count.a.eq(self.activations), count.w.eq(w)]
            m.d.sync += [ones[i].eq(count.count),
                         label[i].eq(Mux(self.add_label, lab, 0)),
                         tau[i].eq(word[1:].as_signed()), flip[i].eq(word[0])]
        # Stage 2: accumulate; on the last chunk of a group compare and present the bits.
        m.d.sync += self.result_valid.eq(last)
        for i in range(m_lanes):
            acc = Signal(signed(self.acc_bits), name=f"acc{i}")
            total = Signal(signed(self.acc_bits), name=f"total{i}")
            m.d.comb += total.eq(Mux(first, 0, acc) + (ones[i] << 1) - correction + label[i])
            with m.If(valid):
                m.d.sync += acc.eq(total)
            with m.If(last):
                m.d.sync += self.result[i].eq(Mux(flip[i], total <= tau[i], total >= tau[i]))
        return m
