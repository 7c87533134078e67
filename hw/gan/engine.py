"""The B-DCGAN generator engine: (z, y) in, 28×28 8-bit pixels out, bit-exact with the golden model."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from bitspin.hw.gan.image import EngineImage
from bitspin.hw.gan.integer_lane import IntegerLane
from bitspin.hw.gan.load_map import TABLE_BIAS_BITS, LoadTarget
from bitspin.hw.gan.plan import FINISH_CYCLES
from bitspin.hw.gan.sequencer import LayerSequencer, Source
from bitspin.hw.gan.xnor_popcount import XnorPopcountArray
from bitspin.hw.single_port_ram import SinglePortRAM

__all__ = ["GanEngine"]


def _memory(m, name: str, width: int, init, addr, load=None):
    """A memory initialised with ``init``, read at ``addr``; its read data (next clock).

    ``load``: a (write enable, address, data) triple adds a write port (a reloadable memory).
    """
    memory = Memory(shape=unsigned(width), depth=max(1, len(init)), init=list(init) or [0])
    m.submodules[name] = memory
    read = memory.read_port(transparent_for=())
    m.d.comb += read.addr.eq(addr)
    if load is not None:
        write = memory.write_port()
        enable, address, data = load
        m.d.comb += [write.en.eq(enable), write.addr.eq(address), write.data.eq(data)]
    return read.data


class GanEngine(wiring.Component):
    """The whole generator of one model file, computed layer by layer in one datapath.

    Ports:

    - ``start``: with ``ready`` high, latches ``z_value`` / ``z_mask`` (z_i = 0 where the mask bit
      is 0, else +1 / −1 for value bit 1 / 0) and ``label`` and computes one image; with
      ``latch_request=False`` z is not latched and must hold while ``busy`` (the device's
      registers already hold it, and 2·z_dim flip-flops matter on an iCE40);
    - ``ready``: idle, and the output FIFO has room for a whole image (so the pipeline never
      stalls mid-image; the FIFO holds two images, so one can drain while the next computes);
    - ``pixels``: the image row-major, one 8-bit pixel per transfer (0 background, 255 ink);
    - ``busy``; ``image_cycles``: clocks of the last image, from the start strobe to its last pixel
      entering the FIFO (equals ``plan.cycles_per_image``);
    - ``images``: images computed since reset.

    With ``loadable``, ``load_write`` stores ``load_data`` at ``load_addr`` of the memory (or
    register) ``load_target`` (see :mod:`hw.gan.load_map`), so the host can load another model
    of the same architecture; writes are ignored while busy (as of the clock before). The
    binary weights then live in a single-port RAM: SPRAM on an iCE40 UltraPlus, which has no
    initial contents, so there the host must write every weight word after configuration.
    ``single_port_thresholds`` puts the thresholds in a single-port RAM too (the UP5K's block
    RAM cannot hold them beside a device top).

    Memories: the binary weights (one word of lanes × chunk_bits bits per clock), thresholds,
    label terms, the last layer's integer weights and label terms and the sigmoid table, all
    initialised from the :class:`EngineImage` at elaboration; two ping-pong activation memories
    of chunk_bits-bit words, written ``lanes`` bits at a time.

    Pipeline: issue (registered addresses) → operands → operands registered → popcount (or two
    adder-tree stages) → accumulate and compare → write back (binary layers) or table lookup →
    FIFO (last layer).
    """

    def __init__(self, image: EngineImage, loadable: bool = False,
                 single_port_thresholds: bool = False, latch_request: bool = True):
        if not isinstance(image, EngineImage):
            raise TypeError("image must be an EngineImage (see sw.gan.engine_image)")
        if single_port_thresholds and not loadable:
            raise ValueError("single-port thresholds need the load port (SPRAM starts empty)")
        self.image = image
        self.plan = plan = image.plan
        self.loadable = bool(loadable)
        self.single_port_thresholds = bool(single_port_thresholds)
        self.latch_request = bool(latch_request)
        c = plan.config
        members = {
            "start": In(1), "z_value": In(c.z_dim), "z_mask": In(c.z_dim),
            "label": In(range(c.n_classes)),
            "ready": Out(1), "busy": Out(1), "pixels": Out(stream.Signature(8)),
            "image_cycles": Out(32), "images": Out(32),
        }
        if self.loadable:
            widths = self._memory_widths()
            depth = max(plan.weight_depth, plan.threshold_depth, plan.label_depth,
                        len(image.table), len(image.last_weights), len(image.last_labels))
            members.update({"load_target": In(LoadTarget), "load_addr": In(range(depth)),
                            "load_data": In(max(max(widths.values()), TABLE_BIAS_BITS)),
                            "load_write": In(1)})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        plan, image = self.plan, self.image
        c, p = plan.config, plan.params
        lanes, chunk = p.lanes, p.chunk_bits

        m.submodules.sequencer = seq = LayerSequencer(plan)
        m.submodules.array = array = XnorPopcountArray(lanes, chunk, plan.accumulator_bits,
                                                       plan.label_bits)
        m.submodules.integer = lane = IntegerLane(chunk, c.last_weight_bits,
                                                  plan.last_accumulator_bits)
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=8, depth=2 * plan.pixels)

        # Loads are refused while busy, judged on last clock's busy: the guard then stays off
        # the weight-address path (busy is a wide OR; the address fans out to every block RAM).
        loading, idle = Signal(), Signal(init=1)     # idle out of reset
        m.d.sync += idle.eq(~self.busy)
        m.d.comb += loading.eq(self.load_write & idle if self.loadable else 0)

        def load(target):
            if not self.loadable:
                return None
            return (loading & (self.load_target == target), self.load_addr, self.load_data)

        widths = self._memory_widths()

        def single_port(name, target, init, depth, addr):
            """A loadable single-port RAM (SPRAM on iCE40 UltraPlus); the load port has it
            while writing."""
            m.submodules[name] = ram = SinglePortRAM(widths[name], depth, init=init)
            writing = loading & (self.load_target == target)
            m.d.comb += [ram.write_enable.eq(writing), ram.write_data.eq(self.load_data),
                         ram.addr.eq(Mux(writing, self.load_addr, addr))]
            return ram.read_data

        if self.loadable:
            weight_data = single_port("weights", LoadTarget.WEIGHTS, image.weights,
                                      plan.weight_depth, seq.weight_addr)
        else:
            weight_data = _memory(m, "weights", widths["weights"], image.weights,
                                  seq.weight_addr)
        if self.single_port_thresholds:
            threshold_data = single_port("thresholds", LoadTarget.THRESHOLDS, image.thresholds,
                                         plan.threshold_depth, seq.threshold_addr)
        else:
            threshold_data = _memory(m, "thresholds", widths["thresholds"], image.thresholds,
                                     seq.threshold_addr, load(LoadTarget.THRESHOLDS))
        label_data = _memory(m, "labels", widths["labels"], image.labels, seq.label_addr,
                             load(LoadTarget.LABELS))
        last_weight_data = _memory(m, "last_weights", widths["last_weights"],
                                   image.last_weights, seq.last_weight_addr,
                                   load(LoadTarget.LAST_WEIGHTS))
        mask = (1 << c.last_weight_bits) - 1
        last_label_data = _memory(m, "last_labels", widths["last_labels"],
                                  [v & mask for v in image.last_labels], seq.last_label_addr,
                                  load(LoadTarget.LAST_LABELS))
        table_index = Signal(range(len(image.table)))
        table_data = _memory(m, "table", 8, image.table, table_index, load(LoadTarget.TABLE))
        # Reset-less: a loaded model's bias must survive a device ABORT (which resets control).
        table_bias = Signal(signed(TABLE_BIAS_BITS), init=image.table_bias, reset_less=True)
        if self.loadable:
            with m.If(loading & (self.load_target == LoadTarget.TABLE_BIAS)):
                m.d.sync += table_bias.eq(self.load_data[:TABLE_BIAS_BITS])

        activations = {}
        for name in (Source.A, Source.B):
            memory = Memory(shape=unsigned(chunk), depth=plan.activation_depth, init=[])
            m.submodules[f"activations_{name.name.lower()}"] = memory
            activations[name] = (memory.read_port(transparent_for=()),
                                 memory.write_port(granularity=lanes))

        # The request, latched at start (unless the source holds it); z padded to whole chunks.
        z_chunks = plan.layers[0].in_chunks
        z_value, z_mask = Signal(z_chunks * chunk), Signal(z_chunks * chunk)
        if not self.latch_request:
            m.d.comb += [z_value.eq(self.z_value), z_mask.eq(self.z_mask)]
        ready = Signal()
        m.d.comb += [ready.eq(~self.busy & (fifo.level <= fifo.depth - plan.pixels)),
                     self.ready.eq(ready), seq.start.eq(self.start & ready),
                     seq.label.eq(self.label)]
        if self.latch_request:
            with m.If(self.start & ready):
                m.d.sync += [z_value.eq(self.z_value), z_mask.eq(self.z_mask)]

        # Stage 0: the sequencer's addresses went to every read port.
        for read, _ in activations.values():
            m.d.comb += read.addr.eq(seq.act_addr)

        # Stage 1: operands arrive; tags registered alongside them.
        s1 = {name: Signal.like(getattr(seq, name), name=f"s1_{name}")
              for name in ("valid", "first", "last", "add_label", "integer", "source", "dest",
                           "mask", "dest_addr", "dest_slice")}
        for name, reg in s1.items():
            m.d.sync += reg.eq(getattr(seq, name))
        s1_z_value, s1_z_mask = Signal(chunk), Signal(chunk)
        m.d.sync += [s1_z_value.eq(z_value.word_select(seq.chunk, chunk)),
                     s1_z_mask.eq(z_mask.word_select(seq.chunk, chunk))]
        # Stage 2: the operands registered (block-RAM clock-to-out is slow on ECP5), the source
        # selected and the z mask applied.
        source = s1["source"]
        operand, mask = Signal(chunk), Signal(chunk)
        m.d.sync += [
            operand.eq(Mux(source == Source.Z, s1_z_value,
                           Mux(source == Source.A, activations[Source.A][0].data,
                               activations[Source.B][0].data))),
            mask.eq(s1["mask"] & Mux(source == Source.Z, s1_z_mask, (1 << chunk) - 1)),
        ]
        s2 = {name: Signal.like(reg, name=f"s2_{name}") for name, reg in s1.items()}
        for name, reg in s1.items():
            m.d.sync += s2[name].eq(reg)
        operands = {name: Signal.like(data, name=f"s2_{name}") for name, data in (
            ("weights", weight_data), ("labels", label_data), ("thresholds", threshold_data),
            ("last_weights", last_weight_data), ("last_labels", last_label_data))}
        m.d.sync += [operands["weights"].eq(weight_data), operands["labels"].eq(label_data),
                     operands["thresholds"].eq(threshold_data),
                     operands["last_weights"].eq(last_weight_data),
                     operands["last_labels"].eq(last_label_data)]
        for unit, valid in ((array, s2["valid"] & ~s2["integer"]),
                            (lane, s2["valid"] & s2["integer"])):
            m.d.comb += [unit.valid.eq(valid), unit.first.eq(s2["first"]),
                         unit.last.eq(s2["last"]), unit.add_label.eq(s2["add_label"]),
                         unit.activations.eq(operand), unit.mask.eq(mask)]
        m.d.comb += [array.weights.eq(operands["weights"]), array.labels.eq(operands["labels"]),
                     array.thresholds.eq(operands["thresholds"]),
                     lane.weights.eq(operands["last_weights"]),
                     lane.label.eq(operands["last_labels"])]

        # Stages 3-4: the tags of the write-back wait for the array's two stages.
        s4 = {}
        for name in ("dest", "dest_addr", "dest_slice"):
            s3 = Signal.like(s2[name], name=f"s3_{name}")
            s4[name] = Signal.like(s2[name], name=f"s4_{name}")
            m.d.sync += [s3.eq(s2[name]), s4[name].eq(s3)]
        slices = chunk // lanes
        for name, (_, write) in activations.items():
            m.d.comb += [write.addr.eq(s4["dest_addr"]),
                         write.data.eq(Cat(*[array.result] * slices)),
                         write.en.eq(Mux(array.result_valid & (s4["dest"] == name),
                                         1 << s4["dest_slice"], 0))]

        # Last layer: table lookup, then the FIFO.
        index = table_index
        biased = Signal(signed(max(len(lane.result), TABLE_BIAS_BITS) + 1))
        m.d.comb += biased.eq(lane.result + table_bias)
        with m.If(biased < 0):
            m.d.comb += index.eq(0)
        with m.Elif(biased > len(image.table) - 1):
            m.d.comb += index.eq(len(image.table) - 1)
        with m.Else():
            m.d.comb += index.eq(biased)
        pixel_valid = Signal()
        m.d.sync += pixel_valid.eq(lane.result_valid)
        m.d.comb += [fifo.w_data.eq(table_data), fifo.w_en.eq(pixel_valid),
                     self.pixels.payload.eq(fifo.r_data), self.pixels.valid.eq(fifo.r_rdy),
                     fifo.r_en.eq(self.pixels.ready)]

        # Busy from the start strobe until the last pixel is in the FIFO.
        # Issue → operands → registered → tree → total → accumulator → table → FIFO.
        pending = Signal(FINISH_CYCLES)
        m.d.sync += pending.eq(Cat(seq.valid, pending[:-1]))
        m.d.comb += self.busy.eq(seq.busy | pending.any())
        with m.If(self.start & ready):
            m.d.sync += self.image_cycles.eq(1)
        with m.Elif(self.busy):
            m.d.sync += self.image_cycles.eq(self.image_cycles + 1)
        with m.If(pending[-1] & ~pending[:-1].any() & ~seq.busy):
            m.d.sync += self.images.eq(self.images + 1)
        return m

    def _memory_widths(self) -> dict[str, int]:
        plan, c = self.plan, self.plan.config
        lanes, chunk = plan.params.lanes, plan.params.chunk_bits
        return {"weights": lanes * chunk, "thresholds": lanes * (plan.accumulator_bits + 1),
                "labels": lanes * plan.label_bits, "last_weights": chunk * c.last_weight_bits,
                "last_labels": c.last_weight_bits, "table": 8}
