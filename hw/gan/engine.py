"""The B-DCGAN generator engine: (z, y) in, 28×28 8-bit pixels out, bit-exact with the golden model."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from bitspin.hw.gan.activations import ActivationMemories
from bitspin.hw.gan.image import EngineImage
from bitspin.hw.gan.integer_lane import IntegerLane, total_bits
from bitspin.hw.gan.load_map import TABLE_BIAS_BITS, LoadTarget
from bitspin.hw.gan.load_port import LoadPort
from bitspin.hw.gan.output_buffer import OutputBuffer
from bitspin.hw.gan.request_slots import fill_slots
from bitspin.hw.gan.sequencer import LayerSequencer, Source
from bitspin.hw.gan.table_index import table_index
from bitspin.hw.gan.weight_memory import WEIGHT_BANK_DEPTH, binary_weights, read_only_memory
from bitspin.hw.gan.xnor_popcount import XnorPopcountArray
from bitspin.hw.ising.popcount import delayed
from bitspin.hw.replica import registered_copies
from bitspin.hw.single_port_ram import is_ice40_up

__all__ = ["GanEngine", "OPERAND_FAN_OUT"]

#: Lanes that share one register of an image's operand (each of its bits feeds two LUT4s a lane).
OPERAND_FAN_OUT = 4


class GanEngine(wiring.Component):
    """The whole generator of one model file, computed layer by layer in one datapath, for a
    batch of images in lockstep.

    Ports:

    - ``start``: with ``ready`` high, takes a request into the batch being collected: latches
      ``z_value`` / ``z_mask`` (z_i = 0 where the mask bit is 0, else +1 / −1 for value bit 1 /
      0) and ``label``. The batch computes once it holds ``batch`` requests, or at once if
      ``end_batch`` is high with the start. With ``latch_request=False`` (batch 1 only) z is not
      latched and must hold while ``busy`` (the device's registers already hold it, and
      2·z_dim flip-flops matter on an iCE40);
    - ``ready``: not computing, and the output buffer has a free bank for a whole batch (so
      the pipeline never stalls mid-image; one bank drains while the next batch computes).
      A batch engine (``plan.overlaps_last``) is ready as soon as its last layer has taken the
      previous batch over, and computes the two at once (see :mod:`hw.gan.plan`);
    - ``pixels``: the images of a batch one after another, each row-major, one 8-bit pixel per
      transfer (0 background, 255 ink);
    - ``busy``: collecting or computing; ``image_cycles``: clocks of the last batch finished,
      from its first request to its last pixel in the output buffer (``plan.batch_cycles(n)``
      for n requests on consecutive clocks into an idle engine with a free output bank);
    - ``images``: images computed since reset.

    With ``loadable``, ``load_write`` stores ``load_data`` at ``load_addr`` of the memory (or
    register) ``load_target`` (see :mod:`hw.gan.load_map`), so the host can load another model
    of the same architecture; writes are ignored while busy (as of the clock before), and
    land a clock late through registers with ``register_loads`` (by default, but on an iCE40
    UltraPlus: see :class:`~hw.gan.load_port.LoadPort`). The
    binary weights then live in a single-port RAM: SPRAM on an iCE40 UltraPlus, which has no
    initial contents, so there the host must write every weight word after configuration.
    ``single_port_thresholds`` puts the thresholds in a single-port RAM too (the UP5K's block
    RAM cannot hold them beside a device top).

    Every memory is read once per clock for the batch; image i runs i clocks behind image 0
    (shared words pass image to image). Memories, pipeline, overlap, skew: docs/gan_engine.md.
    """

    def __init__(self, image: EngineImage, loadable: bool = False,
                 single_port_thresholds: bool = False, latch_request: bool = True,
                 register_loads: bool | None = None):
        if not isinstance(image, EngineImage):
            raise TypeError("image must be an EngineImage (see sw.gan.engine_image)")
        if single_port_thresholds and not loadable:
            raise ValueError("single-port thresholds need the load port (SPRAM starts empty)")
        if not latch_request and image.plan.params.batch != 1:
            raise ValueError("a batch of requests must be latched (latch_request=True)")
        self.image = image
        self.plan = plan = image.plan
        self.loadable = bool(loadable)
        self.single_port_thresholds = bool(single_port_thresholds)
        self.latch_request = bool(latch_request)
        self.register_loads = register_loads
        c = plan.config
        members = {
            "start": In(1), "end_batch": In(1), "z_value": In(c.z_dim), "z_mask": In(c.z_dim),
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
        lanes, chunk, batch = p.lanes, p.chunk_bits, p.batch
        images = range(batch)

        overlap, n_layers = plan.overlaps_last, len(plan.layers)
        m.submodules.sequencer = seq = LayerSequencer(
            plan, layers=range(n_layers - 1 if overlap else n_layers), act_addr_copies=batch)
        # The last layer's own sequencer (overlapped), else the one sequencer walks it too.
        lseq = seq
        if overlap:
            m.submodules.last_sequencer = lseq = LayerSequencer(
                plan, layers=range(n_layers - 1, n_layers))
        arrays = [XnorPopcountArray(lanes, chunk, plan.accumulator_bits, plan.label_bits,
                                    operand_copies=max(1, lanes // OPERAND_FAN_OUT))
                  for _ in images]
        integer_lanes = [IntegerLane(chunk, c.last_weight_bits, plan.last_accumulator_bits)
                         for _ in images]
        for i in images:
            m.submodules[f"array{i}"] = arrays[i]
            m.submodules[f"integer{i}"] = integer_lanes[i]
        m.submodules.output = output = OutputBuffer(batch, plan.pixels,
                                                    bits_for(len(image.table) - 1))

        # Loads are refused while busy, judged on last clock's busy: the guard then stays off
        # the weight-address path (busy is a wide OR; the address fans out to every block RAM).
        loading, idle = Signal(), Signal(init=1)     # idle out of reset
        m.d.sync += idle.eq(~self.busy)
        m.d.comb += loading.eq(self.load_write & idle if self.loadable else 0)

        registered = self.register_loads
        if registered is None:
            registered = not is_ice40_up(platform)
        port = LoadPort(m, loading, self.load_target, self.load_addr, self.load_data,
                        registered) if self.loadable else None

        def load(target):
            return port.write(target) if port else None
        widths = self._memory_widths()

        # The requests of the batch: slot i holds image i's z and label.
        z_chunks = plan.layers[0].in_chunks
        z_value = [Signal(z_chunks * chunk, name=f"z_value{i}", reset_less=True) for i in images]
        z_mask = [Signal(z_chunks * chunk, name=f"z_mask{i}", reset_less=True) for i in images]
        label = [Signal.like(self.label, name=f"label{i}", reset_less=True) for i in images]
        fill = Signal(range(batch))                  # the slot the next request goes to
        batch_images = Signal(range(1, batch + 1), init=1)
        computing, ready, take, closes = Signal(), Signal(), Signal(), Signal()
        # Overlapped: the binary stage holds a batch from its start until the last layer takes
        # it over; it then takes the next batch's requests while the last layer runs.
        b_full = Signal()
        m.d.comb += [ready.eq(~b_full if overlap else ~computing & output.free),
                     self.ready.eq(ready),
                     take.eq(self.start & ready),
                     closes.eq(take & ((fill == batch - 1) | self.end_batch)),
                     seq.start.eq(closes)]
        if not self.latch_request:
            m.d.comb += [z_value[0].eq(self.z_value), z_mask[0].eq(self.z_mask)]
        with m.If(take):
            m.d.sync += fill.eq(fill + 1)
        if self.latch_request:
            fill_slots(m, (self.z_value, self.z_mask, self.label),
                       list(zip(z_value, z_mask, label)), take, fill)
        else:
            with m.If(take):
                m.d.sync += label[0].eq(self.label)
        with m.If(closes):
            m.d.sync += [fill.eq(0), batch_images.eq(fill + 1), b_full.eq(overlap)]

        # Registered beside its block RAMs (binary_weights); SPRAM on an iCE40 UltraPlus.
        weight_data = binary_weights(m, image, seq.weight_addr_next,
                                     widths["weights"], load(LoadTarget.WEIGHTS),
                                     bank_depth=None if self.loadable and is_ice40_up(platform)
                                     else WEIGHT_BANK_DEPTH)
        if self.single_port_thresholds:
            threshold_data = port.single_port_ram("thresholds", widths["thresholds"],
                                                  LoadTarget.THRESHOLDS, image.thresholds,
                                                  plan.threshold_depth, seq.threshold_addr)
        else:
            threshold_data = read_only_memory(m, "thresholds", widths["thresholds"],
                                              image.thresholds, seq.threshold_addr,
                                              load(LoadTarget.THRESHOLDS))
        # A batch reads one word of each label table (every label's terms) and each image picks
        # its own; a single image reads its label's word.
        picks = plan.labels_per_word > 1
        own = 0 if picks else label[0]
        label_data = read_only_memory(m, "labels", widths["labels"], image.labels,
                                      seq.label_addr + own, load(LoadTarget.LABELS))
        last_weight_data = read_only_memory(m, "last_weights", widths["last_weights"],
                                            image.last_weights, lseq.last_weight_addr,
                                            load(LoadTarget.LAST_WEIGHTS))
        last_label_data = read_only_memory(m, "last_labels", widths["last_labels"],
                                           image.last_labels, lseq.last_label_addr + own,
                                           load(LoadTarget.LAST_LABELS))
        # Reset-less: a loaded model's bias must survive a device ABORT (which resets control).
        table_bias = Signal(signed(TABLE_BIAS_BITS), init=image.table_bias, reset_less=True)
        if self.loadable:
            with m.If(loading & (self.load_target == LoadTarget.TABLE_BIAS)):
                m.d.sync += table_bias.eq(self.load_data[:TABLE_BIAS_BITS])

        m.submodules.activations = acts = ActivationMemories(plan)
        m.d.comb += [acts.read_source.eq(seq.source), acts.last_read_addr.eq(lseq.act_addr)]
        m.d.comb += [acts.read_addr[i].eq(seq.act_addrs.word_select(i, len(seq.act_addr)))
                     for i in images]

        # Stage 1: operands arrive; tags registered alongside them.
        s1 = {name: Signal.like(getattr(seq, name), name=f"s1_{name}")
              for name in ("valid", "first", "last", "add_label", "integer", "source", "dest",
                           "z_pass", "mask", "correction", "dest_addr", "dest_slice")}
        for name, reg in s1.items():
            m.d.sync += reg.eq(getattr(seq, name))
        l1 = s1
        if overlap:
            l1 = {name: Signal.like(getattr(lseq, name), name=f"l1_{name}")
                  for name in ("valid", "first", "last", "add_label", "integer", "mask")}
            for name, reg in l1.items():
                m.d.sync += reg.eq(getattr(lseq, name))
        # z as this pass reads it: a zero is +1 in pass 0 and -1 in pass 1 (see hw.gan.plan).
        s1_z = [Signal(chunk, name=f"s1_z{i}", reset_less=True) for i in images]
        for i in images:
            value = z_value[i].word_select(seq.chunk, chunk)
            zero = ~z_mask[i].word_select(seq.chunk, chunk)
            m.d.sync += s1_z[i].eq(Mux(seq.z_pass, value & ~zero, value | zero))
        # Stage 1b: block-RAM data registered beside it (its clock-to-out is slow), tags along.
        threshold_data, label_data, last_weight_data, last_label_data, act_data = (
            delayed(m, data, 1, f"near_{name}", reset_less=True)[0] for name, data in (
                ("thresholds", threshold_data),
                ("labels", label_data), ("last_weights", last_weight_data),
                ("last_labels", last_label_data), ("activations", acts.read_data)))
        last_act_data = delayed(m, acts.last_read_data, 1, "near_last_activations",
                                reset_less=True)[0] \
            if overlap else act_data
        # Each image's own copy of the source and of the mask: Yosys makes the mask the
        # operand registers' synchronous reset, so one mask register would reach them all.
        from_z = registered_copies(m, s1["source"] == Source.Z, batch, "s1_from_z")
        masks = registered_copies(m, s1["mask"], batch, "s1_mask")
        last_masks = registered_copies(m, l1["mask"], batch, "l1_mask")
        s1 = {name: delayed(m, reg, 1, f"s1b_{name}")[0] for name, reg in s1.items()}
        l1 = {name: delayed(m, reg, 1, f"l1b_{name}")[0] for name, reg in l1.items()} \
            if overlap else s1
        s1_z = [delayed(m, z, 1, f"s1b_z{i}", reset_less=True)[0] for i, z in enumerate(s1_z)]
        # Stage 2: operands registered (source selected, padding read as 0), a copy per
        # OPERAND_FAN_OUT lanes. The shared words pass from image to image through a register
        # each: image i's other inputs are delayed by i to match, its results by skew − i.
        copies = max(1, lanes // OPERAND_FAN_OUT)
        skew = plan.skew

        def behind(value, i, name, reset_less=True):
            """``value`` delayed by ``i`` clocks (image i's lag)."""
            return delayed(m, value, i, name, reset_less=reset_less)[-1] if i else value
        operand, integer_operand = [], []
        for i in images:
            value = masks[i] & Mux(from_z[i], s1_z[i], act_data.word_select(i, chunk))
            operand.append(registered_copies(m, behind(value, i, f"operand{i}_lag"), copies,
                                             f"operand{i}_", reset_less=True))
            integer_value = last_masks[i] & last_act_data.word_select(i, chunk)
            integer_operand.append(registered_copies(
                m, behind(integer_value, i, f"integer_operand{i}_lag"), 1,
                f"integer_operand{i}_", reset_less=True)[0])
        shared, words = [], {"weights": weight_data, "thresholds": threshold_data,
                             "last_weights": last_weight_data}
        for i in images:
            words = {name: registered_copies(m, data, 1, f"s2_{name}{i}_", reset_less=True)[0]
                     for name, data in words.items()}
            shared.append(words)
        # The tags that every lane reads, one copy per image.
        lane_tags = [registered_copies(m, behind(Cat(s1["valid"] & ~s1["integer"], s1["first"],
                                                     s1["last"], s1["add_label"],
                                                     s1["correction"]), i, f"tags{i}_lag", False),
                                       1, f"s2_tags{i}_")[0] for i in images]
        integer_tags = [registered_copies(m, behind(Cat(l1["valid"] & l1["integer"], l1["first"],
                                                        l1["last"], l1["add_label"]),
                                                    i, f"integer_tags{i}_lag", False),
                                          1, f"s2_integer_tags{i}_")[0] for i in images]
        # The last layer's labels: the batch's own, kept while the next batch's requests come.
        last_label = label
        if overlap:
            last_label = [Signal.like(label[i], name=f"last_label{i}", reset_less=True)
                          for i in images]
        label_field = lanes * plan.label_bits
        for i in images:
            labels_i = Signal(label_field, name=f"s2_labels{i}", reset_less=True)
            last_label_i = Signal(c.last_weight_bits, name=f"s2_last_label{i}",
                                  reset_less=True)
            field, last_field = (label[i], last_label[i]) if picks else (0, 0)
            m.d.sync += [labels_i.eq(label_data.word_select(field, label_field)),
                         last_label_i.eq(last_label_data.word_select(last_field,
                                                                     c.last_weight_bits))]
            labels_i = behind(labels_i, i, f"s2_labels{i}_lag")
            last_label_i = behind(last_label_i, i, f"s2_last_label{i}_lag")
            for unit, tags in ((arrays[i], lane_tags[i]), (integer_lanes[i], integer_tags[i])):
                m.d.comb += [unit.valid.eq(tags[0]), unit.first.eq(tags[1]),
                             unit.last.eq(tags[2]), unit.add_label.eq(tags[3])]
            m.d.comb += [arrays[i].activations.eq(Cat(*operand[i])),
                         integer_lanes[i].activations.eq(integer_operand[i]),
                         arrays[i].correction.eq(lane_tags[i][4:])]
            m.d.comb += [arrays[i].weights.eq(shared[i]["weights"]),
                         arrays[i].labels.eq(labels_i),
                         arrays[i].thresholds.eq(shared[i]["thresholds"]),
                         integer_lanes[i].weights.eq(shared[i]["last_weights"]),
                         integer_lanes[i].label.eq(last_label_i)]

        # Stages 2-5: the write-back tags wait for the per-image stage, the array's three and
        # the skew; their last stage is a copy per image (each image's memory has its own
        # enables). ``write`` is the arrays' result_valid.
        write_tags = data.StructLayout({"write": 1, "dest": Source, "addr": len(s1["dest_addr"]),
                                        "slice": len(s1["dest_slice"])})
        write_now = Signal(write_tags)
        m.d.comb += [write_now.write.eq(s1["valid"] & ~s1["integer"] & s1["last"]),
                     write_now.dest.eq(s1["dest"]), write_now.addr.eq(s1["dest_addr"]),
                     write_now.slice.eq(s1["dest_slice"])]
        tail = registered_copies(m, delayed(m, write_now.as_value(), 3 + skew, "s2_write_tags")[-1],
                                 batch, "s5_write_tags")
        slices = chunk // lanes
        results = [behind(array.result, skew - i, f"result{i}_lag")
                   for i, array in enumerate(arrays)]
        enables = []
        for i in images:
            tags = write_tags(tail[i])
            m.d.comb += [acts.write_addr[i].eq(tags.addr), acts.write_dest[i].eq(tags.dest)]
            enables.append(Mux(tags.write & (tags.dest != Source.PIXELS), 1 << tags.slice,
                               0)[:slices])
        m.d.comb += [acts.write_data.eq(Cat(*(Cat(*[result] * slices) for result in results))),
                     acts.write_enable.eq(Cat(*enables))]

        # Last layer: each image's table index into the buffer, looked up as the buffer drains.
        indices = [behind(table_index(m, integer_lanes[i].result, table_bias, len(image.table),
                                      str(i)), skew - i, f"table_index{i}_lag")
                   for i in images]
        pixel_valid = Signal()
        m.d.sync += pixel_valid.eq(integer_lanes[-1].result_valid)
        last_images = Signal.like(batch_images) if overlap else batch_images
        m.d.comb += [output.write.eq(pixel_valid), output.data.eq(Cat(*indices)),
                     output.images.eq(last_images)]
        # The lookup: a registered stream stage after the buffer's.
        looked_up, advance = Signal(), Signal()
        m.d.comb += [advance.eq(~looked_up | self.pixels.ready),
                     output.pixels.ready.eq(advance), self.pixels.valid.eq(looked_up)]
        with m.If(advance):
            m.d.sync += looked_up.eq(output.pixels.valid)
        m.d.comb += self.pixels.payload.eq(
            read_only_memory(m, "table", 8, image.table, output.pixels.payload,
                             load(LoadTarget.TABLE), enable=advance))

        # Computing from the batch's start until its last pixel is in the buffer.
        pending = Signal(plan.finish_cycles)
        m.d.sync += pending.eq(Cat(lseq.valid, pending[:-1]))
        finished = Signal()
        m.d.comb += finished.eq(pending[-1] & ~pending[:-1].any() & ~lseq.busy)
        with m.If(finished):
            m.d.sync += self.images.eq(self.images + last_images)
        if not overlap:
            m.d.comb += [computing.eq(seq.busy | pending.any()),
                         self.busy.eq(computing | (fill != 0))]
            with m.If(take & (fill == 0)):
                m.d.sync += self.image_cycles.eq(1)
            with m.Elif(self.busy):
                m.d.sync += self.image_cycles.eq(self.image_cycles + 1)
            return m
        # The last layer takes the batch over once its final results are written, it is idle
        # and a bank of the buffer is free.
        binary_tail = Signal(plan.drain_cycles)
        m.d.sync += binary_tail.eq(Cat(seq.valid, binary_tail[:-1]))
        # Registered: the two sequencers sit far apart, and the condition built from the last
        # one's state straight into its own start was run 17's critical path (10.2 ns of
        # routing there and back). Each condition stays true until the hand-over (no batch can
        # close, no pixel be written, while the binary stage is full and the last layer idle),
        # so a clock late is still right; the clock of the hand-over clears it.
        last_active, hand_over = Signal(), Signal()
        m.d.comb += last_active.eq(lseq.busy | pending.any())
        m.d.sync += hand_over.eq(b_full & ~seq.busy & ~binary_tail.any() & ~last_active
                                 & output.free & ~hand_over)
        m.d.comb += [lseq.start.eq(hand_over), acts.hand_over.eq(hand_over),
                     self.busy.eq((fill != 0) | b_full | last_active)]
        with m.If(hand_over):
            m.d.sync += [b_full.eq(0), last_images.eq(batch_images)]
            m.d.sync += [last_label[i].eq(label[i]) for i in images]
        # image_cycles: first request to last pixel, by time stamps (two batches in flight).
        now, first_at, last_first_at = Signal(32), Signal(32), Signal(32)
        m.d.sync += now.eq(now + 1)
        with m.If(take & (fill == 0)):
            m.d.sync += first_at.eq(now)
        with m.If(hand_over):
            m.d.sync += last_first_at.eq(first_at)
        with m.If(finished):
            m.d.sync += self.image_cycles.eq(now - last_first_at + 1)
        return m

    def _memory_widths(self) -> dict[str, int]:
        plan, c = self.plan, self.plan.config
        lanes, chunk = plan.params.lanes, plan.params.chunk_bits
        return {"weights": lanes * chunk, "thresholds": lanes * (plan.accumulator_bits + 1),
                "labels": plan.labels_per_word * lanes * plan.label_bits,
                "last_weights": chunk * c.last_weight_bits + total_bits(chunk, c.last_weight_bits),
                "last_labels": plan.labels_per_word * c.last_weight_bits, "table": 8}
