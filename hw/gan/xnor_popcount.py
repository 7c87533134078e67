"""The binary layers' datapath: M lanes, each XNOR-popcounting B bits per clock into an accumulator."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.xnor_popcount_tree import XnorPopcount
from bitspin.hw.ising.popcount import balanced_sum

__all__ = ["XnorPopcountArray", "SUB_CHUNK_BITS"]

#: Bits pop-counted in one pipeline stage: a chunk's sub-counts are registered, then summed with
#: the chunk term (a 64-bit count in one clock held an ECP5 build of the engine at 40 MHz).
SUB_CHUNK_BITS = 16


class XnorPopcountArray(wiring.Component):
    """``lanes`` output channels in parallel, ``chunk_bits`` inputs each per clock.

    Every input bit is a ±1 value (1 = +1, 0 = −1); there is no mask. Lane m adds
    ``2·popcount(~(a ^ w)) − correction`` per chunk (``correction`` is the chunk's constant, the
    same for every lane: see :mod:`hw.gan.plan` for how padding and the zeros of z cancel in
    it), plus the lane's label term when ``add_label`` is set (``label_bits`` = 1: bit 1 is +1
    and 0 is −1; wider: two's complement), and restarts from 0 on ``first``.

    Three pipeline stages: pop-counts of ``SUB_CHUNK_BITS``-bit sub-chunks, then each lane's
    chunk term from them (its own adder tree, so that Yosys does not merge it with the
    accumulator into one sum of LUT full adders), then the accumulator. On ``last`` the
    finished sum is compared with the lane's threshold: ``acc ≥ τ``, or ``acc ≤ τ`` when the
    lane's flip bit is set (batch norm with γ < 0), which the word holds as ``acc < τ + 1`` so
    that one subtraction serves both. ``result`` holds the M output bits (1 = +1) for one clock
    with ``result_valid``, three clocks after the inputs.

    ``acc_bits`` must hold every |sum| of a layer (its fan-in) and every stored threshold;
    intermediate sums are exact. Threshold word of lane m: bit 0 = flip, bits 1 … ``acc_bits``
    = τ, or τ + 1 where flipped (two's complement).
    ``activations`` holds ``operand_copies`` copies of the chunk (registers of the caller's),
    copy c feeding lanes [c·M/copies, (c+1)·M/copies): each copy's nets stay short.
    Cost: M pop-counts of B bits (:class:`XnorPopcount`, hand-mapped on ECP5 unless
    ``hand_mapped`` is False) and M accumulators.
    """

    def __init__(self, lanes: int, chunk_bits: int, acc_bits: int, label_bits: int,
                 hand_mapped: bool = True, operand_copies: int = 1):
        for name, value, low in (("lanes", lanes, 1), ("chunk_bits", chunk_bits, 1),
                                 ("acc_bits", acc_bits, 2), ("label_bits", label_bits, 1)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, not {value!r}")
        self.lanes, self.chunk_bits = lanes, chunk_bits
        self.acc_bits, self.label_bits = acc_bits, label_bits
        if not isinstance(operand_copies, int) or operand_copies < 1 or \
                lanes % operand_copies:
            raise ValueError(f"operand_copies must divide lanes ({lanes}), not {operand_copies!r}")
        self.hand_mapped, self.operand_copies = bool(hand_mapped), operand_copies
        super().__init__({
            "valid": In(1), "first": In(1), "last": In(1), "add_label": In(1),
            "activations": In(chunk_bits * operand_copies), "correction": In(range(2 * chunk_bits + 1)),
            "weights": In(lanes * chunk_bits), "labels": In(lanes * label_bits),
            "thresholds": In(lanes * (acc_bits + 1)),
            "result_valid": Out(1), "result": Out(lanes),
        })

    def elaborate(self, platform):
        m = Module()
        m_lanes, b = self.lanes, self.chunk_bits
        sub = min(SUB_CHUNK_BITS, b)
        per_copy = m_lanes // self.operand_copies
        # Stage 1: pop-counts of sub-chunks, and the operands that travel with them.
        label = [Signal(signed(max(2, self.label_bits)), name=f"label{i}", reset_less=True)
                 for i in range(m_lanes)]
        tau = [Signal(signed(self.acc_bits), name=f"tau{i}", reset_less=True)
               for i in range(m_lanes)]
        flip = Signal(m_lanes, reset_less=True)
        correction = Signal.like(self.correction, reset_less=True)
        tags = Signal(3)
        m.d.sync += [correction.eq(self.correction),
                     tags.eq(Cat(self.valid, self.first, self.last & self.valid))]
        counts = []
        for i in range(m_lanes):
            a = self.activations.word_select(i // per_copy, b)
            w = self.weights[i * b:(i + 1) * b]
            word = self.thresholds[i * (self.acc_bits + 1):(i + 1) * (self.acc_bits + 1)]
            lab = self.labels[i * self.label_bits:(i + 1) * self.label_bits]
            # One bit: the term is ±1 (1 = +1); wider: two's complement.
            lab = Mux(lab[0], 1, -1) if self.label_bits == 1 else lab.as_signed()
            lane_counts = []
            for j in range(0, b, sub):
                m.submodules[f"count{i}_{j // sub}"] = count = XnorPopcount(sub, self.hand_mapped)
                m.d.comb += [count.a.eq(a[j:j + sub]), count.w.eq(w[j:j + sub])]
                registered = Signal.like(count.count, name=f"ones{i}_{j // sub}", reset_less=True)
                m.d.sync += registered.eq(count.count)
                lane_counts.append(registered)
            counts.append(lane_counts)
            m.d.sync += [label[i].eq(Mux(self.add_label, lab, 0)),
                         tau[i].eq(word[1:].as_signed()), flip[i].eq(word[0])]
        # Stage 2: each lane's chunk term, in an adder tree of its own (so that Yosys does not
        # merge it with the accumulator into one sum of LUT full adders).
        delta = [Signal(signed(b.bit_length() + 2), name=f"delta{i}", reset_less=True)
                 for i in range(m_lanes)]
        for i in range(m_lanes):
            m.d.sync += delta[i].eq((balanced_sum(counts[i]) << 1) - correction + label[i])
        tags2 = Signal(3)
        tau2 = [Signal.like(t, name=f"tau2_{i}", reset_less=True) for i, t in enumerate(tau)]
        flip2 = Signal.like(flip, reset_less=True)
        m.d.sync += [tags2.eq(tags), flip2.eq(flip), *[t2.eq(t) for t2, t in zip(tau2, tau)]]
        valid, first, last = tags2[0], tags2[1], tags2[2]
        # Stage 3: accumulate; on the last chunk of a group compare and present the bits.
        m.d.sync += self.result_valid.eq(last)
        for i in range(m_lanes):
            acc = Signal(signed(self.acc_bits), name=f"acc{i}", reset_less=True)
            total = Signal(signed(self.acc_bits), name=f"total{i}")
            m.d.comb += total.eq(Mux(first, 0, acc) + delta[i])
            with m.If(valid):
                m.d.sync += acc.eq(total)
            with m.If(last):
                # One subtraction: the sign of total − τ' (τ' = τ + 1 where flipped).
                diff = Signal(signed(self.acc_bits + 1), name=f"diff{i}")
                m.d.comb += diff.eq(total - tau2[i])
                m.d.sync += self.result[i].eq(diff[-1] ^ ~flip2[i])
        return m
