"""The core's observable sums and its decimated record stream (``sums_spec``)."""

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..replica import registered_copies
from .params import IsingParams, observable_bits
from .sums_spec import OBSERVABLE_SUMS, SUM_BITS

__all__ = ["ObservableSums", "ObservablesLayout", "product_in_halves"]

ObservablesLayout = data.StructLayout({"magnetization": signed(32), "bond_sum": signed(32)})


class ObservableSums(wiring.Component):
    """Between the core's per-sweep records and its ``observables`` output.

    Every record that enters is added to the sums (``OBSERVABLE_SUMS``, each ``SUM_BITS`` wide)
    and forwarded if its index is a multiple of ``every``. ``clear`` (a RUN's start) zeroes the
    sums and the index and latches ``every``. The products and additions are pipelined over
    six clocks after a record is taken; records arrive at most once per sweep, so the sums are
    final a few clocks after the last one, long before the host can read them.
    """

    def __init__(self, params: IsingParams):
        self.params = params
        super().__init__({
            "records": In(stream.Signature(ObservablesLayout)),
            "observables": Out(stream.Signature(ObservablesLayout)),
            "clear": In(1), "every": In(32),
            "sums": Out(data.ArrayLayout(signed(SUM_BITS), len(OBSERVABLE_SUMS))),
        })

    def elaborate(self, platform):
        m = Module()
        m_bits, b_bits = observable_bits(self.params)
        records, out = self.records, self.observables
        # ``every`` is latched by ``clear``: the host cannot change a RUN's decimation midway.
        phase, every = Signal(32), Signal(32)
        forward = (every != 0) & (phase == 0)
        m.d.comb += [out.payload.eq(records.payload), out.valid.eq(records.valid & forward),
                     records.ready.eq(~forward | out.ready)]
        taken = records.valid & records.ready
        with m.If(self.clear):
            m.d.sync += [phase.eq(0), every.eq(self.every)]
        with m.Elif(taken):
            m.d.sync += phase.eq(Mux(phase + 1 >= every, 0, phase + 1))

        # Stage 1: the record; stage 2: |M| and the partial products of M², B², B·M; stage 3:
        # the products; stage 4: the sums (M⁴ two stages later, see below).
        s1_valid, s1_m, s1_b = Signal(), Signal(signed(m_bits)), Signal(signed(b_bits))
        m.d.sync += [s1_valid.eq(taken & ~self.clear),
                     s1_m.eq(records.payload.magnetization), s1_b.eq(records.payload.bond_sum)]
        s2_valid = Signal()
        s2_m, s2_b = Signal(signed(m_bits)), Signal(signed(b_bits))
        s2_abs = Signal(unsigned(m_bits))
        m.d.sync += [s2_valid.eq(s1_valid & ~self.clear), s2_m.eq(s1_m), s2_b.eq(s1_b),
                     s2_abs.eq(Mux(s1_m < 0, -s1_m, s1_m))]
        # Each product is made from the products of its operands' halves (one small DSP each),
        # added a stage later: the whole B·M (two DSPs and their carry chain in one stage) was
        # the critical path of a 4-tile build at L = 64 (83.4 MHz), and M⁴ before it.
        s3_valid = Signal()
        s3 = {name: Signal(signed(SUM_BITS), name=f"s3_{name}") for name in OBSERVABLE_SUMS
              if name != "m4"}
        m.d.sync += [s3_valid.eq(s2_valid & ~self.clear), s3["count"].eq(1), s3["m"].eq(s2_m),
                     s3["abs_m"].eq(s2_abs), s3["b"].eq(s2_b),
                     s3["m2"].eq(product_in_halves(m, s1_m, s1_m, "m2")),
                     s3["b2"].eq(product_in_halves(m, s1_b, s1_b, "b2")),
                     s3["bm"].eq(product_in_halves(m, s1_b, s1_m, "bm"))]
        # M⁴ = (M²)², M² in halves likewise: stage 4 the partial products, stage 5 M⁴, stage 6
        # its sum.
        s4_valid, s5_valid, s5_m4 = Signal(), Signal(), Signal(signed(SUM_BITS))
        m2 = s3["m2"][:2 * m_bits]      # M² < 2^(2·m_bits), as an unsigned value
        m.d.sync += [s4_valid.eq(s3_valid & ~self.clear), s5_valid.eq(s4_valid & ~self.clear),
                     s5_m4.eq(product_in_halves(m, m2, m2, "m4"))]
        # The accumulators are reset-less and cleared by a registered copy of ``clear`` each:
        # cleared by the domain reset as well, their 1 024 flip-flops per tile shared one reset
        # net with the PLL's reset, the critical path of a 4-tile build (13.4 ns of routing).
        # A clear a clock late is harmless: the pipeline's valid flags die with ``clear`` itself.
        clears = registered_copies(m, self.clear, len(OBSERVABLE_SUMS), "sums_clear",
                                   reset_less=True)
        for index, name in enumerate(OBSERVABLE_SUMS):
            total = Signal(signed(SUM_BITS), name=f"sum_{name}", reset_less=True)
            m.d.comb += self.sums[index].eq(total)
            valid, term = (s5_valid, s5_m4) if name == "m4" else (s3_valid, s3[name])
            with m.If(clears[index]):
                m.d.sync += total.eq(0)
            with m.Elif(valid):
                m.d.sync += total.eq(total + term)
        return m


def product_in_halves(m: Module, a, b, name: str):
    """``a · b``, valid a clock after ``a`` and ``b``: the four products of their halves (low
    halves unsigned, high halves with the operands' signedness) are registered, and the value
    returned is their sum (register it: that is the second of the product's two stages)."""
    def halves(value):
        low = len(value) // 2
        high = value[low:].as_signed() if value.shape().signed else value[low:]
        return value[:low], high, low
    a_lo, a_hi, a_low = halves(a)
    b_lo, b_hi, b_low = halves(b)
    parts = {"hh": (a_hi * b_hi, a_low + b_low), "hl": (a_hi * b_lo, a_low),
             "lh": (a_lo * b_hi, b_low), "ll": (a_lo * b_lo, 0)}
    shifted = []
    for part, (product, shift) in parts.items():
        held = Signal(product.shape(), name=f"{name}_{part}", reset_less=True)
        m.d.sync += held.eq(product)
        shifted.append(held << shift)
    return (shifted[0] + shifted[1]) + (shifted[2] + shifted[3])
