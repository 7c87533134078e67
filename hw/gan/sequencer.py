"""The engine's loop nest: one (pixel, group, tap, chunk) issued per clock, layer after layer."""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Signal
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from hw.gan.plan import PIPELINE_DRAIN_CYCLES, EnginePlan

__all__ = ["LayerSequencer", "Source"]


class Source(enum.Enum, shape=2):
    """Where a layer's input activations come from; also where its outputs go."""
    Z = 0
    A = 1
    B = 2
    PIXELS = 3


_SOURCE = {"z": Source.Z, "a": Source.A, "b": Source.B, "pixels": Source.PIXELS}


def _width(depth: int) -> int:
    return max(1, ceil_log2(max(depth, 2)))


class LayerSequencer(wiring.Component):
    """Walks :class:`~hw.gan.plan.EnginePlan`'s loop nest and issues the operand addresses.

    Loop order per layer: output row oy, output column ox, group g, kernel-row entry ri,
    kernel-column entry ci, chunk c (innermost). Every issued clock drives ``valid`` and
    combinational read addresses for the memories (all read ports are synchronous, so the operands
    arrive one clock later together with the registered tags the engine keeps). Between layers
    it idles ``PIPELINE_DRAIN_CYCLES`` clocks so the previous layer's last results are written
    before they are read. Per-layer constants are selected by a ``Switch`` on the layer index,
    so every address is a sum of products of counters with constants (no general multiplier).
    """

    def __init__(self, plan: EnginePlan):
        if not isinstance(plan, EnginePlan):
            raise TypeError("plan must be an EnginePlan")
        self.plan = plan
        c, p = plan.config, plan.params
        max_side = max(layer.out_side for layer in plan.layers)
        max_groups = max(layer.groups for layer in plan.layers)
        max_chunks = max(layer.in_chunks for layer in plan.layers)
        self._slices = p.chunk_bits // p.lanes
        last = plan.last_layer
        super().__init__({
            "start": In(1), "label": In(range(c.n_classes)),
            "busy": Out(1), "valid": Out(1), "first": Out(1), "last": Out(1),
            "add_label": Out(1), "integer": Out(1),
            "source": Out(Source), "dest": Out(Source),
            "chunk": Out(range(max_chunks)), "mask": Out(p.chunk_bits),
            "act_addr": Out(_width(plan.activation_depth)),
            "weight_addr": Out(_width(plan.weight_depth)),
            "threshold_addr": Out(_width(plan.threshold_depth)),
            "label_addr": Out(_width(plan.label_depth)),
            "last_weight_addr": Out(_width(last.taps * last.in_chunks)),
            "last_label_addr": Out(_width(last.taps * c.n_classes)),
            "dest_addr": Out(_width(plan.activation_depth)),
            "dest_slice": Out(range(max(2, self._slices))),
        })
        self._counter_widths = dict(side=range(max_side), groups=range(max_groups),
                                    chunks=range(max_chunks))

    def elaborate(self, platform):
        m = Module()
        plan = self.plan
        w = self._counter_widths
        layer = Signal(range(len(plan.layers)))
        oy, ox = Signal(w["side"]), Signal(w["side"])
        g = Signal(w["groups"])
        ri, ci = Signal(range(8)), Signal(range(8))
        c = Signal(w["chunks"])
        y = Signal.like(self.label)
        drain = Signal(range(PIPELINE_DRAIN_CYCLES + 1))
        wraps = Signal(6)      # c, ci, ri, g, ox, oy are at their last value

        with m.Switch(layer):
            for index, lp in enumerate(plan.layers):
                with m.Case(index):
                    self._layer_logic(m, lp, oy, ox, g, ri, ci, c, y, wraps)
        c_w, ci_w, ri_w, g_w, ox_w, oy_w = (wraps[i] for i in range(6))
        m.d.comb += [self.first.eq((c == 0) & (ci == 0) & (ri == 0)),
                     self.last.eq(c_w & ci_w & ri_w), self.chunk.eq(c)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [y.eq(self.label), layer.eq(0)]
                    m.next = "RUN"
            with m.State("RUN"):
                m.d.comb += [self.busy.eq(1), self.valid.eq(1)]
                m.d.sync += c.eq(c + 1)
                with m.If(c_w):
                    m.d.sync += [c.eq(0), ci.eq(ci + 1)]
                    with m.If(ci_w):
                        m.d.sync += [ci.eq(0), ri.eq(ri + 1)]
                        with m.If(ri_w):
                            m.d.sync += [ri.eq(0), g.eq(g + 1)]
                            with m.If(g_w):
                                m.d.sync += [g.eq(0), ox.eq(ox + 1)]
                                with m.If(ox_w):
                                    m.d.sync += [ox.eq(0), oy.eq(oy + 1)]
                                    with m.If(oy_w):
                                        m.d.sync += [oy.eq(0), layer.eq(layer + 1),
                                                     drain.eq(PIPELINE_DRAIN_CYCLES)]
                                        with m.If(layer == len(plan.layers) - 1):
                                            m.next = "IDLE"
                                        with m.Else():
                                            m.next = "DRAIN"
            with m.State("DRAIN"):
                m.d.comb += self.busy.eq(1)
                m.d.sync += drain.eq(drain - 1)
                with m.If(drain == 1):
                    m.next = "RUN"
        return m

    def _layer_logic(self, m, lp, oy, ox, g, ri, ci, c, y, wraps):
        plan, n = self.plan, self.plan.config.n_classes
        b_bits, lanes = plan.params.chunk_bits, plan.params.lanes
        longest = max(len(r) for r in lp.rows)
        if longest > 8:
            raise ValueError(f"layer {lp.name}: {longest} kernel rows land on one output row "
                             "(at most 8 supported)")
        counts = Array(Const(len(r), range(9)) for r in lp.rows)
        in_rows = Array(Const(r[i][0] if i < len(r) else 0, range(max(2, lp.in_side)))
                        for r in lp.rows for i in range(longest))
        k_rows = Array(Const(r[i][1] if i < len(r) else 0, range(max(2, lp.kernel)))
                       for r in lp.rows for i in range(longest))
        iy, a = in_rows[oy * longest + ri], k_rows[oy * longest + ri]
        ix, b = in_rows[ox * longest + ci], k_rows[ox * longest + ci]
        tap = a * lp.kernel + b
        pixel = oy * lp.out_side + ox
        m.d.comb += [
            wraps.eq(Cat(c == lp.in_chunks - 1, ci == counts[ox] - 1, ri == counts[oy] - 1,
                          g == lp.groups - 1, ox == lp.out_side - 1, oy == lp.out_side - 1)),
            self.source.eq(_SOURCE[lp.source]), self.dest.eq(_SOURCE[lp.dest]),
            self.act_addr.eq((iy * lp.in_side + ix) * lp.in_chunks + c),
            self.add_label.eq(lp.has_labels & (c == 0)),
            self.integer.eq(lp.kind == "last"),
        ]
        # Static mask: the valid channels of chunk c (padding beyond in_channels reads as 0).
        with m.Switch(c):
            for chunk in range(lp.in_chunks):
                valid = min(b_bits, lp.in_channels - chunk * b_bits)
                with m.Case(chunk):
                    m.d.comb += self.mask.eq((1 << valid) - 1)
        if lp.kind == "binary":
            m.d.comb += [
                self.weight_addr.eq(lp.weight_base + (g * lp.taps + tap) * lp.in_chunks + c),
                self.label_addr.eq((lp.label_base + g * lp.taps + tap) * n + y),
                self.threshold_addr.eq(lp.threshold_base + g + (
                    pixel * lp.groups if lp.per_position_thresholds else 0)),
                self.dest_addr.eq(pixel * lp.out_chunks + g // self._slices),
                self.dest_slice.eq(g % self._slices),
            ]
        else:
            m.d.comb += [self.last_weight_addr.eq(tap * lp.in_chunks + c),
                         self.last_label_addr.eq(tap * n + y)]
