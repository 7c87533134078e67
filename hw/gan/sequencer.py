"""The engine's loop nest: one (pixel, group, tap, chunk) issued per clock, layer after layer."""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Signal
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2, exact_log2

from bitspin.hw.gan.plan import EnginePlan
from bitspin.hw.replica import registered_copies

__all__ = ["LayerSequencer", "Source", "address_width"]


class Source(enum.Enum, shape=3):
    """Where a layer's input activations come from; also where its outputs go."""
    Z = 0
    A = 1
    B = 2
    PIXELS = 3
    D = 4        # the last layer's input, in an overlapped engine (see hw.gan.plan)


_SOURCE = {"z": Source.Z, "a": Source.A, "b": Source.B, "pixels": Source.PIXELS, "d": Source.D}


def address_width(depth: int) -> int:
    """Bits of an address into ``depth`` words (at least one)."""
    return max(1, ceil_log2(max(depth, 2)))


class LayerSequencer(wiring.Component):
    """Walks :class:`~hw.gan.plan.EnginePlan`'s loop nest and issues the operand addresses.

    Loop order per layer: output row oy, output column ox, group g, kernel-row entry ri,
    kernel-column entry ci, chunk c (innermost; a two-pass layer reads each chunk twice in a
    row, ``z_pass`` telling which). Every issued clock drives ``valid`` and the read addresses
    for the memories, all registered: the outputs lag the counters by two clocks (an address's
    table term and offset are registered, then their sum). The memories' read ports are
    synchronous, so the operands arrive one clock after the outputs, and the engine registers
    the tags alongside. Between layers it idles
    ``plan.drain_cycles`` clocks so the previous layer's last results are written before
    they are read.

    No multiplier: each address is a sum of a kernel-row term and a kernel-column term, looked up
    in per-layer constant tables that hold them premultiplied, plus the chunk and offsets that
    step by a constant when the group or the output pixel advances. The label addresses point
    at a tap's first word: with ``plan.labels_per_word`` = 1 the engine adds the label, else
    each image picks its own field of the word.

    ``layers`` (a range of layer indices, default all): the layers this sequencer walks. An
    overlapped engine has two, one for the binary layers and one for the last.
    """

    def __init__(self, plan: EnginePlan, layers: range | None = None, act_addr_copies: int = 1):
        if not isinstance(plan, EnginePlan):
            raise TypeError("plan must be an EnginePlan")
        if not isinstance(act_addr_copies, int) or act_addr_copies < 1:
            raise ValueError(f"act_addr_copies must be a positive integer, "
                             f"not {act_addr_copies!r}")
        self.act_addr_copies = act_addr_copies
        self.plan = plan
        layers = range(len(plan.layers)) if layers is None else layers
        if not isinstance(layers, range) or len(layers) == 0 or layers.step != 1 or \
                not 0 <= layers.start < layers.stop <= len(plan.layers):
            raise ValueError(f"layers must be a non-empty range of the plan's layer indices, "
                             f"not {layers!r}")
        self.layers = plan.layers[layers.start:layers.stop]
        c, p = plan.config, plan.params
        max_side = max(layer.out_side for layer in plan.layers)
        max_groups = max(layer.groups for layer in plan.layers)
        max_chunks = max(layer.in_chunks for layer in plan.layers)
        self._slices = p.chunk_bits // p.lanes
        last = plan.last_layer
        super().__init__({
            "start": In(1),
            "busy": Out(1), "valid": Out(1), "first": Out(1), "last": Out(1),
            "add_label": Out(1), "integer": Out(1),
            "source": Out(Source), "dest": Out(Source),
            "chunk": Out(range(max_chunks)), "z_pass": Out(1), "mask": Out(p.chunk_bits),
            "correction": Out(range(2 * p.chunk_bits + 1)),
            "act_addr": Out(address_width(plan.activation_depth)),
            "weight_addr": Out(address_width(plan.weight_depth)),
            # weight_addr a clock early (not registered): the weight memory registers it in
            # copies of its own, with the load port's address multiplexed in front of them.
            "weight_addr_next": Out(address_width(plan.weight_depth)),
            # Registered copies of act_addr, one per image's activation memory.
            "act_addrs": Out(address_width(plan.activation_depth) * act_addr_copies),
            "threshold_addr": Out(address_width(plan.threshold_depth)),
            "label_addr": Out(address_width(plan.label_depth)),
            "last_weight_addr": Out(address_width(last.taps * last.in_chunks)),
            "last_label_addr": Out(address_width(last.taps * c.n_classes // plan.labels_per_word)),
            "dest_addr": Out(address_width(plan.activation_depth)),
            "dest_slice": Out(range(max(2, self._slices))),
        })
        max_steps = max(layer.in_chunks * layer.passes for layer in plan.layers)
        self._counter_widths = dict(side=range(max_side), groups=range(max_groups),
                                    chunks=range(max_steps))

    def elaborate(self, platform):
        m = Module()
        w = self._counter_widths
        n_layers = len(self.layers)
        layer = Signal(range(n_layers))
        oy, ox = Signal(w["side"]), Signal(w["side"])
        g = Signal(w["groups"])
        ri, ci = Signal(range(8)), Signal(range(8))
        c = Signal(w["chunks"])
        drain = Signal(range(self.plan.drain_cycles + 1))
        wraps = Signal(6)      # c, ci, ri, g, ox, oy are at their last value
        # Offsets that step with the group and the output pixel.
        group_weight, group_label = Signal(len(self.weight_addr)), Signal(len(self.label_addr))
        pixel_threshold = Signal(len(self.threshold_addr))
        pixel_dest = Signal(len(self.dest_addr))
        steps = {name: Signal(len(sig), name=f"{name}_step") for name, sig in (
            ("weight", group_weight), ("label", group_label), ("threshold", pixel_threshold),
            ("dest", pixel_dest))}
        issue = {name: Signal.like(getattr(self, name), name=f"next_{name}")
                 for name in self._registered}
        # An address is its kernel tap's table term plus an offset; both are registered before
        # they are added (the table lookups and the sum in one clock were the longest path).
        tap = {name: Signal.like(getattr(self, name), name=f"tap_{name}")
               for name in self._tabled}

        with m.Switch(layer):
            for index, lp in enumerate(self.layers):
                with m.Case(index):
                    self._layer_logic(m, lp, oy, ox, g, ri, ci, c, issue, tap, steps,
                                      group_weight, group_label, pixel_threshold, pixel_dest)
        # Each counter's last value is held in a register, loaded when the position or the
        # layer changes, so a wrap is one compare of two registers (looking the kernel-tap
        # counts up by position in the same clock as the wraps was the longest path).
        limits = self._limit_tables()
        last = {name: Signal(range(max(table) + 1), name=f"{name}_last")
                for name, table in limits.items() if name not in ("ci", "ri")}
        last["ci"], last["ri"] = Signal(range(8)), Signal(range(8))
        m.d.comb += wraps.eq(Cat(c == last["c"], ci == last["ci"], ri == last["ri"],
                                 g == last["g"], ox == last["side"], oy == last["side"]))
        c_w, ci_w, ri_w, g_w, ox_w, oy_w = (wraps[i] for i in range(6))
        taps_at = Array(Array(Const(len(r) - 1, range(8)) for r in lp.rows)
                        for lp in [*self.layers, self.layers[-1]])

        def load_limits(next_layer, next_ox, next_oy):
            m.d.sync += [last["ci"].eq(taps_at[next_layer][next_ox]),
                         last["ri"].eq(taps_at[next_layer][next_oy])]
            for name in ("c", "g", "side"):
                table = Array(Const(v, len(last[name])) for v in limits[name])
                m.d.sync += last[name].eq(table[next_layer])
        m.d.comb += [issue["first"].eq((c == 0) & (ci == 0) & (ri == 0)),
                     issue["last"].eq(c_w & ci_w & ri_w)]
        first_threshold = Array(Const(lp.threshold_base, len(pixel_threshold))
                                for lp in [*self.layers, self.layers[-1]])
        first_dest = Array(Const(lp.dest_base, len(pixel_dest))
                           for lp in [*self.layers, self.layers[-1]])

        running = Signal()
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    load_limits(0, 0, 0)
                    m.d.sync += [layer.eq(0), group_weight.eq(0),
                                 group_label.eq(0), pixel_dest.eq(first_dest[0]),
                                 pixel_threshold.eq(first_threshold[0])]
                    m.next = "RUN"
            with m.State("RUN"):
                m.d.comb += [running.eq(1), issue["valid"].eq(1)]
                m.d.sync += c.eq(c + 1)
                with m.If(c_w):
                    m.d.sync += [c.eq(0), ci.eq(ci + 1)]
                    with m.If(ci_w):
                        m.d.sync += [ci.eq(0), ri.eq(ri + 1)]
                        with m.If(ri_w):
                            m.d.sync += [ri.eq(0), g.eq(g + 1),
                                         group_weight.eq(group_weight + steps["weight"]),
                                         group_label.eq(group_label + steps["label"])]
                            with m.If(g_w):
                                m.d.sync += [g.eq(0), ox.eq(ox + 1), group_weight.eq(0),
                                             group_label.eq(0),
                                             pixel_threshold.eq(pixel_threshold
                                                                + steps["threshold"]),
                                             pixel_dest.eq(pixel_dest + steps["dest"])]
                                m.d.sync += last["ci"].eq(taps_at[layer][ox + 1])
                                with m.If(ox_w):
                                    m.d.sync += [ox.eq(0), oy.eq(oy + 1),
                                                 last["ci"].eq(taps_at[layer][0]),
                                                 last["ri"].eq(taps_at[layer][oy + 1])]
                                    with m.If(oy_w):
                                        load_limits(layer + 1, 0, 0)
                                        m.d.sync += [oy.eq(0), layer.eq(layer + 1),
                                                     drain.eq(self.plan.drain_cycles),
                                                     pixel_dest.eq(first_dest[layer + 1]),
                                                     pixel_threshold.eq(
                                                         first_threshold[layer + 1])]
                                        with m.If(layer == n_layers - 1):
                                            m.next = "IDLE"
                                        with m.Else():
                                            m.next = "DRAIN"
            with m.State("DRAIN"):
                m.d.comb += running.eq(1)
                m.d.sync += drain.eq(drain - 1)
                with m.If(drain == 1):
                    m.next = "RUN"
        staged = {name: Signal.like(value, name=f"staged_{name}") for name, value in issue.items()}
        staged_tap = {name: Signal.like(value, name=f"staged_tap_{name}")
                      for name, value in tap.items()}
        for name, value in issue.items():
            m.d.sync += [staged[name].eq(value),
                         getattr(self, name).eq(staged[name] + staged_tap[name]
                                                if name in tap else staged[name])]
        m.d.sync += [staged_tap[name].eq(value) for name, value in tap.items()]
        address = (staged["weight_addr"] + staged_tap["weight_addr"])[:len(self.weight_addr)]
        m.d.comb += self.weight_addr_next.eq(address)
        act = (staged["act_addr"] + staged_tap["act_addr"])[:len(self.act_addr)]
        m.d.comb += self.act_addrs.eq(Cat(*registered_copies(
            m, act, self.act_addr_copies, "act_addr")))
        m.d.comb += self.busy.eq(running | staged["valid"] | self.valid)
        return m

    def _limit_tables(self) -> dict:
        """Per layer (and once more past the last): the last value of c, g and ox / oy."""
        layers = [*self.layers, self.layers[-1]]
        return {"c": [lp.in_chunks * lp.passes - 1 for lp in layers],
                "g": [lp.groups - 1 for lp in layers],
                "side": [lp.out_side - 1 for lp in layers]}

    _tabled = ("act_addr", "weight_addr", "label_addr", "last_weight_addr", "last_label_addr")

    _registered = ("valid", "first", "last", "add_label", "integer", "source", "dest", "chunk",
                   "z_pass", "mask", "correction", "act_addr", "weight_addr", "threshold_addr", "label_addr",
                   "last_weight_addr", "last_label_addr", "dest_addr", "dest_slice")

    def _layer_logic(self, m, lp, oy, ox, g, ri, ci, c, issue, tap, steps,
                     group_weight, group_label, pixel_threshold, pixel_dest):
        plan = self.plan
        n = plan.config.n_classes // plan.labels_per_word      # label words per tap
        b_bits = plan.params.chunk_bits
        longest = max(len(r) for r in lp.rows)
        if longest > 8:
            raise ValueError(f"layer {lp.name}: {longest} kernel rows land on one output row "
                             "(at most 8 supported)")
        if min(len(r) for r in lp.rows) == 0:
            raise ValueError(f"layer {lp.name}: an output row has no kernel tap")
        binary = lp.kind == "binary"
        weight_base = lp.weight_base if binary else 0
        label_base = lp.label_base * n if binary else 0

        def table(row_term, col_term):
            """Premultiplied (row, column) terms per output row / column and entry index."""
            def pad(r):
                return list(r) + [r[-1]] * (longest - len(r))
            rows = Array(Array(Const(row_term(i, a)) for i, a in pad(r)) for r in lp.rows)
            cols = Array(Array(Const(col_term(i, b)) for i, b in pad(r)) for r in lp.rows)
            return rows[oy][ri] + cols[ox][ci]

        chunks, k = lp.in_chunks, lp.kernel
        # The step counter c walks the chunks, each read ``passes`` times in a row.
        chunk = c >> 1 if lp.passes == 2 else c
        act = table(lambda i, a: lp.source_base + i * lp.in_side * chunks,
                    lambda i, b: i * chunks)
        tap_weight = table(lambda i, a: weight_base + a * k * chunks, lambda i, b: b * chunks)
        tap_label = table(lambda i, a: label_base + a * k * n, lambda i, b: b * n)
        m.d.comb += [
            issue["source"].eq(_SOURCE[lp.source]), issue["dest"].eq(_SOURCE[lp.dest]),
            issue["chunk"].eq(chunk), issue["z_pass"].eq(c[0] if lp.passes == 2 else 0),
            tap["act_addr"].eq(act), issue["act_addr"].eq(chunk),
            issue["add_label"].eq(lp.has_labels & (chunk == 0)),
            issue["integer"].eq(not binary),
            steps["weight"].eq(lp.taps * chunks), steps["label"].eq(lp.taps * n),
            steps["threshold"].eq(lp.groups if lp.per_position_thresholds else 0),
            steps["dest"].eq(lp.out_chunks),
        ]
        # Static per chunk: the valid channels (padding beyond in_channels reads as 0), and the
        # constant B + pad that a binary lane subtracts (see hw.gan.plan).
        with m.Switch(chunk):
            for index in range(lp.in_chunks):
                valid = min(b_bits, lp.in_channels - index * b_bits)
                with m.Case(index):
                    m.d.comb += [issue["mask"].eq((1 << valid) - 1),
                                 issue["correction"].eq(2 * b_bits - valid)]
        if binary:
            m.d.comb += [
                tap["weight_addr"].eq(tap_weight), issue["weight_addr"].eq(group_weight + chunk),
                tap["label_addr"].eq(tap_label), issue["label_addr"].eq(group_label),
                issue["threshold_addr"].eq(pixel_threshold + g),
                issue["dest_addr"].eq(pixel_dest + (g >> exact_log2(self._slices))),
                issue["dest_slice"].eq(g & (self._slices - 1)),
            ]
        else:
            m.d.comb += [tap["last_weight_addr"].eq(tap_weight), issue["last_weight_addr"].eq(chunk),
                         tap["last_label_addr"].eq(tap_label)]
