"""The core's observable sums and its decimated record stream (``sums_spec``)."""

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..replica import registered_copies
from .params import IsingParams, observable_bits
from .sums_spec import OBSERVABLE_SUMS, SUM_BITS

__all__ = ["ObservableSums", "ObservablesLayout"]

ObservablesLayout = data.StructLayout({"magnetization": signed(32), "bond_sum": signed(32)})


class ObservableSums(wiring.Component):
    """Between the core's per-sweep records and its ``observables`` output.

    Every record that enters is added to the sums (``OBSERVABLE_SUMS``, each ``SUM_BITS`` wide)
    and forwarded if its index is a multiple of ``every``. ``clear`` (a RUN's start) zeroes the
    sums and the index and latches ``every``. The products and additions are pipelined over
    five clocks after a record is taken; records arrive at most once per sweep, so the sums are
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

        # Stage 1: the record; stage 2: |M|, M², B², B·M; stage 3: registered; stage 4: the
        # sums (M⁴ one stage later, see below).
        s1_valid, s1_m, s1_b = Signal(), Signal(signed(m_bits)), Signal(signed(b_bits))
        m.d.sync += [s1_valid.eq(taken & ~self.clear),
                     s1_m.eq(records.payload.magnetization), s1_b.eq(records.payload.bond_sum)]
        s2_valid = Signal()
        s2_m, s2_b = Signal(signed(m_bits)), Signal(signed(b_bits))
        s2_abs = Signal(unsigned(m_bits))
        s2_m2, s2_b2 = Signal(unsigned(2 * m_bits)), Signal(unsigned(2 * b_bits))
        s2_bm = Signal(signed(m_bits + b_bits))
        m.d.sync += [s2_valid.eq(s1_valid & ~self.clear), s2_m.eq(s1_m), s2_b.eq(s1_b),
                     s2_abs.eq(Mux(s1_m < 0, -s1_m, s1_m)), s2_m2.eq(s1_m * s1_m),
                     s2_b2.eq(s1_b * s1_b), s2_bm.eq(s1_b * s1_m)]
        # M⁴ = (M²)² in halves, M² = hi·2^H + lo: hi², hi·lo and lo² in stage 3 (one small DSP
        # product each), M⁴ = Cat(lo², hi²) + hi·lo·2^(H+1) in stage 4, its sum in stage 5. As
        # one product in stage 3, a 28×28 multiply at L = 64 (four DSPs and their carry chains)
        # was the critical path of a 4-tile build (62.5 MHz).
        half = (2 * m_bits + 1) // 2
        s2_hi, s2_lo = s2_m2[half:], s2_m2[:half]
        s3_valid = Signal()
        s3 = {name: Signal(signed(SUM_BITS), name=f"s3_{name}") for name in OBSERVABLE_SUMS
              if name != "m4"}
        s3_hh, s3_hl = Signal(2 * len(s2_hi)), Signal(len(s2_hi) + half)
        s3_ll = Signal(2 * half)
        m.d.sync += [s3_valid.eq(s2_valid & ~self.clear), s3["count"].eq(1), s3["m"].eq(s2_m),
                     s3["abs_m"].eq(s2_abs), s3["m2"].eq(s2_m2),
                     s3_hh.eq(s2_hi * s2_hi), s3_hl.eq(s2_hi * s2_lo), s3_ll.eq(s2_lo * s2_lo),
                     s3["b"].eq(s2_b), s3["b2"].eq(s2_b2), s3["bm"].eq(s2_bm)]
        s4_valid, s4_m4 = Signal(), Signal(signed(SUM_BITS))
        m.d.sync += [s4_valid.eq(s3_valid & ~self.clear),
                     s4_m4.eq(Cat(s3_ll, s3_hh) + (s3_hl << (half + 1)))]
        # The accumulators are reset-less and cleared by a registered copy of ``clear`` each:
        # cleared by the domain reset as well, their 1 024 flip-flops per tile shared one reset
        # net with the PLL's reset, the critical path of a 4-tile build (13.4 ns of routing).
        # A clear a clock late is harmless: the pipeline's valid flags die with ``clear`` itself.
        clears = registered_copies(m, self.clear, len(OBSERVABLE_SUMS), "sums_clear",
                                   reset_less=True)
        for index, name in enumerate(OBSERVABLE_SUMS):
            total = Signal(signed(SUM_BITS), name=f"sum_{name}", reset_less=True)
            m.d.comb += self.sums[index].eq(total)
            valid, term = (s4_valid, s4_m4) if name == "m4" else (s3_valid, s3[name])
            with m.If(clears[index]):
                m.d.sync += total.eq(0)
            with m.Elif(valid):
                m.d.sync += total.eq(total + term)
        return m
