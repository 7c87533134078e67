"""Σ_i (a_i ? w_i : 0) of a few signed weights; on ECP5 as carry chains placed by hand."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.ecp5_adders import Cells
from bitspin.hw.ising.popcount import balanced_sum

__all__ = ["GatedSum"]


class GatedSum(wiring.Component):
    """``total`` = Σ_i (``a[i]`` ? w_i : 0) over ``terms`` two's-complement weights of
    ``weight_bits`` (w_i at bits [i·weight_bits, (i+1)·weight_bits) of ``w``), combinational.

    ``terms`` is a power of two, at least 2. On ECP5 (unless ``hand_mapped`` is False) the first
    level adds pairs of gated weights with the gating inside the chains' LUTs, and the levels
    after it are signed ripple adders, one carry chain each: about 5 LUT equivalents per term
    at 6-bit weights, against about 28 for Yosys's mapping of the same sum. Elsewhere it is the
    plain expression, which ``tests/ecp5_proof.py`` proves equal to the cells.
    """

    def __init__(self, terms: int, weight_bits: int, hand_mapped: bool = True):
        if not isinstance(terms, int) or terms < 2 or terms & (terms - 1):
            raise ValueError(f"terms must be a power of two >= 2, not {terms!r}")
        if not isinstance(weight_bits, int) or weight_bits < 2:
            raise ValueError(f"weight_bits must be an integer >= 2, not {weight_bits!r}")
        self.terms, self.weight_bits, self.hand_mapped = terms, weight_bits, bool(hand_mapped)
        super().__init__({"a": In(terms), "w": In(terms * weight_bits),
                          "total": Out(signed(weight_bits + terms.bit_length() - 1))})

    def elaborate(self, platform):
        m = Module()
        wb = self.weight_bits
        weights = [self.w[i * wb:(i + 1) * wb] for i in range(self.terms)]
        if not self.hand_mapped or getattr(platform, "family", None) != "ecp5":
            m.d.comb += self.total.eq(balanced_sum(Mux(self.a[i], w.as_signed(), 0)
                                                   for i, w in enumerate(weights)))
            return m
        cells = Cells(m, "gsum")
        sums = [cells.gated_add(self.a[i], weights[i], self.a[i + 1], weights[i + 1])
                for i in range(0, self.terms, 2)]
        while len(sums) > 1:
            sums = [cells.add(sums[j], sums[j + 1], signed=True) for j in range(0, len(sums), 2)]
        m.d.comb += self.total.eq(Cat(*sums[0]))
        return m
