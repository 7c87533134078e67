"""The GAN engine's schedule: every generator layer as one generalized transposed convolution.

This module is the one source of the engine's geometry, memory layout and cycle count; the
gateware (``bitspin.hw.gan.engine``), the memory-image builder (``bitspin.sw.gan.engine_image``) and the
benchmark all read it. Pure Python.

Every layer is computed as: for each output position (oy, ox), row-major; for each group of M
output channels (M = ``lanes``); for each kernel tap (a, b) that actually lands on (oy, ox);
for each B-bit chunk of the input channels (B = ``chunk_bits``): one clock, in which each of the
M lanes XNOR-popcounts B input bits against B weight bits. A transposed convolution visits only
the taps with ``oy = iy * stride - padding + a`` for an input row iy inside the image, so no work
is spent on the zeros a zero-insertion implementation would multiply. A fully connected layer
is the case in = out = 1 pixel, kernel 1; the last FC layer (reshaped to C × base × base) is
in = 1 pixel, out = base × base pixels, kernel = base: the "tap" of output pixel p is p itself,
so its weights are W[c * base² + p, :] and it keeps one threshold per (pixel, channel).

The label planes (and the label copies after z) never enter the datapath: with y one-hot and
the label value 1, their whole contribution at a tap is the weight of channel ``C + y``, which
a small label table adds once per tap. For a batch, a word of that table holds the terms of
every label, so one read serves the batch and each image picks its own.

Binary lanes have no per-bit mask. A lane adds ``2·popcount(XNOR(a, w)) − (B + pad)`` per chunk,
where pad counts the chunk's padding channels: their activations are read as 0 and their
weights are 0, so each is one match, which the constant takes back. The ternary z is read twice
per chunk (``passes`` = 2), as u (a zero of z read as +1) and as v (read as −1): over the two
passes a zero is one match whatever its weight, so the layer accumulates exactly twice its sum,
and its thresholds are stored doubled.

The last layer has one output channel and integer weights; it runs one output pixel at a time,
B inputs per clock, through an adder tree instead of a popcount.

A batch engine (``batch`` > 1) overlaps the last layer of one batch with the binary layers of
the next: a sequencer of its own walks it, reading a double-buffered memory ("d") that only the
last binary layer writes, while the other binary layers ping-pong in a small scratch memory
("a" at word 0, "b" after it). A single-image engine (the device tops, which take one request at
a time over their link) runs the layers one after another in one memory whose halves are "a"
and "b".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bitspin.hw.gan.architecture import GanConfig
from bitspin.hw.gan.layer_plan import LayerPlan, bits_for, ceil_div, transposed_rows

__all__ = ["EngineParams", "EnginePlan", "plan_engine", "PIPELINE_DRAIN_CYCLES",
           "START_CYCLES", "FINISH_CYCLES", "HANDOFF_CYCLES", "RESTART_CYCLES", "TAKE_OVER_CYCLES",
           "MAX_BATCH"]

# Idle cycles between the last read of one layer and the first read of the next: the last
# group's result is written six clocks after its last read (read, register beside the block
# RAM, register per image, popcount, chunk term, accumulate and compare, write), and the next
# layer must read it back.
PIPELINE_DRAIN_CYCLES = 6
# Clocks from the start strobe to the first issued read (latching z and y; the sequencer
# registers an address's parts, then their sum).
START_CYCLES = 3
# Clocks from the last read of the last layer to its last pixel entering the output FIFO.
FINISH_CYCLES = 7
# Overlapped engines: clocks from the last binary read of a batch to the last layer's first read
# (the final results written, the hand-over, the last sequencer's registered addresses) ...
HANDOFF_CYCLES = 10
# ... and from the last binary read to the next batch's first request being taken.
RESTART_CYCLES = 8
# ... and from the last layer's last pixel entering the buffer to its taking the next batch
# (the hand-over is a register).
TAKE_OVER_CYCLES = 1
# Each of these four latencies grows by the batch's skew (EnginePlan.skew): the last image's
# results come that many clocks after the first's.


# Images one engine computes in lockstep, at most (the output buffer packs a pixel of each into
# one word).
MAX_BATCH = 16


def _is_power_of_two(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0 and \
        value & (value - 1) == 0


@dataclass(frozen=True)
class EngineParams:
    """Parallelism of the engine: ``lanes`` output channels, each ``chunk_bits`` inputs per clock,
    for ``batch`` images in lockstep.

    Binary MACs per clock per image = lanes × chunk_bits (``bits_per_clock``: also the width of a
    weight word). Both are powers of two and lanes ≤ chunk_bits, so one group's output bits fill
    a whole, aligned slice of one activation word. The ``batch`` images share every weight,
    threshold and address: one read of each serves them all, so the weight memory's bandwidth
    stops bounding the rate; each image has its own datapath and activations.
    """

    lanes: int = 16
    chunk_bits: int = 64
    batch: int = 1

    def __post_init__(self):
        if not _is_power_of_two(self.lanes) or self.lanes > 256:
            raise ValueError(f"lanes must be a power of two in 1..256, not {self.lanes!r}")
        if not _is_power_of_two(self.chunk_bits) or not 8 <= self.chunk_bits <= 512:
            raise ValueError(f"chunk_bits must be a power of two in 8..512, not {self.chunk_bits!r}")
        if self.lanes > self.chunk_bits:
            raise ValueError(f"lanes ({self.lanes}) must not exceed chunk_bits ({self.chunk_bits})")
        if not isinstance(self.batch, int) or isinstance(self.batch, bool) or \
                not 1 <= self.batch <= MAX_BATCH:
            raise ValueError(f"batch must be an integer in 1..{MAX_BATCH}, not {self.batch!r}")

    @property
    def bits_per_clock(self) -> int:
        return self.lanes * self.chunk_bits


@dataclass(frozen=True)
class EnginePlan:
    """The whole generator's schedule for one :class:`GanConfig` and :class:`EngineParams`."""

    config: GanConfig
    params: EngineParams
    layers: tuple[LayerPlan, ...]

    @property
    def binary_layers(self) -> tuple[LayerPlan, ...]:
        return tuple(layer for layer in self.layers if layer.kind == "binary")

    @property
    def last_layer(self) -> LayerPlan:
        return self.layers[-1]

    @property
    def pixels(self) -> int:
        return self.config.image_side ** 2

    @property
    def weight_depth(self) -> int:
        return sum(layer.weight_words for layer in self.binary_layers)

    @property
    def threshold_depth(self) -> int:
        return sum(layer.threshold_words for layer in self.binary_layers)

    @property
    def labels_per_word(self) -> int:
        """Labels whose terms share a word of the label tables: all of them in a batch, whose
        images read one word and each pick their own; one alone (a word per (tap, label)) for
        a single image, which keeps the tables narrow (an iCE40 block RAM is 16 bits wide)."""
        return self.config.n_classes if self.params.batch > 1 else 1

    @property
    def label_depth(self) -> int:
        """Words of the label table: n_classes / labels_per_word per (group, tap)."""
        return max(1, sum(layer.label_words for layer in self.binary_layers)) * \
            (self.config.n_classes // self.labels_per_word)

    @property
    def overlaps_last(self) -> bool:
        """The last layer of a batch runs beside the next batch's binary layers (batch > 1)."""
        return self.params.batch > 1

    @property
    def activation_depth(self) -> int:
        """Words an activation address reaches: each ping-pong half of the one memory, or (when
        overlapped) the larger of the scratch memory and each half of the last layer's input."""
        return max(layer.dest_end for layer in self.binary_layers)

    @property
    def scratch_depth(self) -> int:
        """Words of the overlapped engine's scratch memory ("a" then "b"); 0 when not overlapped."""
        if not self.overlaps_last:
            return 0
        return max((layer.dest_end for layer in self.binary_layers[:-1]), default=0)

    @property
    def accumulator_bits(self) -> int:
        """Signed width of every binary accumulator and stored threshold (|acc| ≤ fan_in,
        |τ| ≤ fan_in + 1 and a flipped lane stores τ + 1; times the passes: a two-pass layer
        accumulates twice its sum)."""
        return bits_for(max((layer.fan_in + 2) * layer.passes
                             for layer in self.binary_layers)) + 1

    @property
    def label_bits(self) -> int:
        """Width of a binary layer's label term: 1 when every term is ±1 (label_repeat = 1;
        bit 1 = +1), else signed with |term| ≤ label_repeat."""
        if self.config.label_repeat == 1:
            return 1
        return bits_for(self.config.label_repeat) + 1

    @property
    def last_accumulator_bits(self) -> int:
        c = self.config
        layer = self.last_layer
        bound = c.last_weight_max * (layer.in_chunks * self.params.chunk_bits + c.n_classes) \
            * max(len(r) for r in layer.rows) ** 2
        return bits_for(bound) + 1

    @property
    def skew(self) -> int:
        """Clocks by which the last image of a batch runs behind the first: the shared words
        (weights, thresholds, last-layer weights) travel from image to image through a
        register each, so that no net reaches every image's lanes across the chip. Every
        pipeline latency from a read to its result grows by it."""
        return self.params.batch - 1

    @property
    def drain_cycles(self) -> int:
        """Idle clocks between two layers (``PIPELINE_DRAIN_CYCLES`` and the skew)."""
        return PIPELINE_DRAIN_CYCLES + self.skew

    @property
    def finish_cycles(self) -> int:
        """Clocks from the last layer's last read to its last pixel in the output buffer."""
        return FINISH_CYCLES + self.skew

    @property
    def issue_cycles(self) -> int:
        return sum(layer.issue_cycles for layer in self.layers)

    def _binary_cycles(self) -> int:
        """Clocks from a batch's start to its last binary read (all requests in)."""
        binary = self.binary_layers
        return sum(layer.issue_cycles for layer in binary) + \
            self.drain_cycles * (len(binary) - 1)

    def batch_cycles(self, images: int | None = None) -> int:
        """Clocks from a batch's first request to its last pixel in the output buffer, with the
        ``images`` requests (default: a full batch) on consecutive clocks, the engine otherwise
        idle. The gateware's ``image_cycles`` counter equals this; tests check it."""
        images = self.params.batch if images is None else images
        if not 1 <= images <= self.params.batch:
            raise ValueError(f"a batch holds 1..{self.params.batch} images, not {images}")
        between = HANDOFF_CYCLES + self.skew if self.overlaps_last else self.drain_cycles
        return START_CYCLES + (images - 1) + self._binary_cycles() + between + \
            self.last_layer.issue_cycles + self.finish_cycles

    @property
    def binary_interval(self) -> int:
        """Clocks from a full batch's first request to the next batch's, when the binary layers
        bound an overlapped engine's rate."""
        return START_CYCLES + (self.params.batch - 1) + self._binary_cycles() + \
            RESTART_CYCLES + self.skew

    @property
    def last_interval(self) -> int:
        """Clocks from the last layer's taking one batch to its taking the next, when it bounds
        an overlapped engine's rate: its sequencer starts as the binary one does (START_CYCLES
        to its first read), and takes the next batch once its last pixel is in the buffer."""
        return START_CYCLES + self.last_layer.issue_cycles + self.finish_cycles + \
            TAKE_OVER_CYCLES

    @property
    def batch_interval(self) -> int:
        """Clocks from one full batch's first request to the next's, in steady state (requests
        waiting, the sink always ready): a whole batch's, or when the last layer overlaps the
        next batch's binary layers, the longer of the two stages (tests check both in
        simulation). The output buffer's drain, one pixel per clock, must keep up too."""
        if not self.overlaps_last:
            return self.batch_cycles()
        return max(self.binary_interval, self.last_interval, self.params.batch * self.pixels)

    @property
    def cycles_per_image(self) -> float:
        """Clocks per image of full batches in steady state: :attr:`batch_interval` / batch (an
        integer when the batch is 1). The output buffer drains one batch while the next
        computes, so this is the engine's rate with a source and a sink that keep up."""
        cycles = self.batch_interval
        return cycles if self.params.batch == 1 else cycles / self.params.batch

    @property
    def useful_binary_macs(self) -> int:
        return sum(layer.useful_macs for layer in self.binary_layers)

    @property
    def binary_utilization(self) -> float:
        """Useful binary MACs / (lanes × chunk_bits × clocks spent in binary layers)."""
        cycles = sum(layer.issue_cycles for layer in self.binary_layers)
        return self.useful_binary_macs / (self.params.bits_per_clock * cycles)

    @property
    def last_utilization(self) -> float:
        """Useful integer MACs / (chunk_bits × clocks of the last layer)."""
        return self.layer_utilization(self.last_layer)

    def layer_utilization(self, layer: LayerPlan) -> float:
        """Useful MACs / (MACs the datapath could do in the layer's issue clocks): lanes ×
        chunk_bits per clock in a binary layer, chunk_bits in the integer last layer."""
        per_clock = self.params.bits_per_clock if layer.kind == "binary" \
            else self.params.chunk_bits
        return layer.useful_macs / (per_clock * layer.issue_cycles)

    def summary(self) -> dict:
        """Cycle and utilization figures, as printed by the benchmark."""
        return {
            "lanes": self.params.lanes, "chunk_bits": self.params.chunk_bits,
            "batch": self.params.batch, "bits_per_clock": self.params.bits_per_clock,
            "binary_macs_per_clock": self.params.bits_per_clock * self.params.batch,
            "batch_cycles": self.batch_cycles(), "batch_interval": self.batch_interval,
            "overlaps_last": self.overlaps_last,
            "cycles_per_image": self.cycles_per_image,
            "useful_binary_macs": self.useful_binary_macs,
            "binary_utilization": self.binary_utilization,
            "last_layer_utilization": self.last_utilization,
            "layers": [{"name": l.name, "issue_cycles": l.issue_cycles,
                        "useful_macs": l.useful_macs,
                        "zero_insertion_macs": l.zero_insertion_macs,
                        "utilization": self.layer_utilization(l)}
                       for l in self.layers],
            "weight_bits": self.weight_depth * self.params.bits_per_clock,
        }


def plan_engine(config: GanConfig, params: EngineParams = EngineParams()) -> EnginePlan:
    """Lay out every layer of ``config`` for the engine ``params`` (see the module docstring)."""
    if not isinstance(config, GanConfig):
        raise TypeError("config must be a GanConfig")
    if not isinstance(params, EngineParams):
        raise TypeError("params must be an EngineParams")
    c, chunk = config, params.chunk_bits
    m = params.lanes
    layers: list[LayerPlan] = []
    memories = ["a", "b"]

    def make(**kw) -> LayerPlan:
        out_chunks = ceil_div(kw["out_channels"], chunk)
        labels = c.n_classes * (c.label_repeat if kw["source"] == "z" else 1) \
            if kw["has_labels"] else 0
        fan_in = (kw["in_channels"] + labels) * \
            (1 if kw["name"].startswith("fc") else kw["kernel"] ** 2)
        return LayerPlan(out_chunks=out_chunks, fan_in=fan_in,
                         passes=2 if kw["source"] == "z" else 1, **kw)

    single = (((0, 0),),)
    widths = [c.z_dim, *c.fc_widths]
    for i, (w_in, w_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(make(
            name=f"fc{i}", kind="binary", source="z" if i == 0 else memories[(i - 1) % 2],
            dest=memories[i % 2], in_side=1, out_side=1, kernel=1, in_channels=w_in,
            out_channels=w_out, in_chunks=ceil_div(w_in, chunk), groups=ceil_div(w_out, m),
            rows=single, has_labels=(i == 0), per_position_thresholds=False))
    n = len(c.fc_widths)
    base_rows = tuple(((0, o),) for o in range(c.base))
    layers.append(make(
        name=f"fc{n}", kind="binary", source="z" if n == 0 else memories[(n - 1) % 2],
        dest=memories[n % 2], in_side=1, out_side=c.base, kernel=c.base,
        in_channels=widths[-1], out_channels=c.conv_channels,
        in_chunks=ceil_div(widths[-1], chunk), groups=ceil_div(c.conv_channels, m),
        rows=base_rows, has_labels=(n == 0), per_position_thresholds=True))
    channels = [c.conv_channels, *c.deconv_channels]
    side = c.base
    for j, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        k = n + 1 + j
        out_side = c.side_after(j + 1)
        layers.append(make(
            name=f"deconv{j}", kind="binary", source=memories[(k - 1) % 2], dest=memories[k % 2],
            in_side=side, out_side=out_side, kernel=c.kernel, in_channels=c_in,
            out_channels=c_out, in_chunks=ceil_div(c_in, chunk), groups=ceil_div(c_out, m),
            rows=transposed_rows(side, out_side, c.kernel, c.stride, c.padding),
            has_labels=True, per_position_thresholds=False))
        side = out_side
    k = len(layers)
    layers.append(make(
        name="last", kind="last", source=memories[(k - 1) % 2], dest="pixels", in_side=side,
        out_side=c.image_side, kernel=c.kernel, in_channels=channels[-1], out_channels=1,
        in_chunks=ceil_div(channels[-1], chunk), groups=1,
        rows=transposed_rows(side, c.image_side, c.kernel, c.stride, c.padding),
        has_labels=True, per_position_thresholds=False))
    if params.batch > 1:
        layers = _overlapped(layers)
    # Memory bases, in layer order.
    placed, w, t, lab = [], 0, 0, 0
    for layer in layers:
        if layer.kind == "binary":
            layer = dataclasses.replace(layer, weight_base=w, threshold_base=t, label_base=lab)
            w, t, lab = w + layer.weight_words, t + layer.threshold_words, lab + layer.label_words
        placed.append(layer)
    return EnginePlan(config, params, tuple(placed))


def _overlapped(layers: list) -> list:
    """The overlapped layout: the last binary layer writes "d" (double-buffered, the last layer's
    alone); the others keep their "a" / "b" ping-pong in the scratch memory, "b" after "a"."""
    *scratch, final, last = layers
    words = {name: max([l.dest_end for l in scratch if l.dest == name] or [0])
             for name in ("a", "b")}
    base = {"z": 0, "a": 0, "b": words["a"], "d": 0}
    scratch = [dataclasses.replace(l, source_base=base[l.source], dest_base=base[l.dest])
               for l in scratch]
    final = dataclasses.replace(final, source_base=base[final.source], dest="d")
    return [*scratch, final, dataclasses.replace(last, source="d")]
