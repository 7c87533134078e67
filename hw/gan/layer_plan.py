"""One layer of the GAN engine's schedule, as a generalized transposed convolution (see
:mod:`hw.gan.plan`, which lays the layers out)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LayerPlan", "bits_for", "ceil_div", "transposed_rows"]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def bits_for(value: int) -> int:
    """Bits of an unsigned field holding 0..value."""
    return max(1, int(value).bit_length())


@dataclass(frozen=True)
class LayerPlan:
    """One layer as a generalized transposed convolution (see :mod:`hw.gan.plan`)."""

    name: str
    kind: str                    # "binary" (XNOR-popcount, threshold) or "last" (integer, table)
    source: str                  # "z", "a" or "b": input activations (the z register, or memory)
    dest: str                    # "a", "b" or "pixels"
    in_side: int
    out_side: int
    kernel: int
    in_channels: int             # channels read from the source (labels excluded)
    out_channels: int
    in_chunks: int               # B-bit words per input pixel
    groups: int                  # ceil(out_channels / M) (1 for the last layer)
    rows: tuple                  # rows[o] = ((input row, kernel row), ...) landing on output row o
    has_labels: bool             # the label adds a per-tap term
    per_position_thresholds: bool
    out_chunks: int              # B-bit words per output pixel in the destination memory
    fan_in: int                  # inputs per output, labels included (bounds |acc| and |τ|)
    passes: int = 1              # 2 for the ternary z: each chunk is read as two ±1 words
    source_base: int = 0         # first word of the input (and output) in its activation memory
    dest_base: int = 0
    weight_base: int = 0         # first word in the binary weight memory (or last-weight memory)
    threshold_base: int = 0
    label_base: int = 0

    @property
    def fully_connected(self) -> bool:
        """A fully connected layer (its "taps" are its output pixels), not a convolution."""
        return self.name.startswith("fc")

    @property
    def taps(self) -> int:
        return self.kernel * self.kernel

    @property
    def positions(self) -> int:
        return self.out_side * self.out_side

    @property
    def dest_end(self) -> int:
        """One past the last word of the output in its activation memory."""
        return self.dest_base + self.positions * self.out_chunks

    @property
    def weight_words(self) -> int:
        return self.groups * self.taps * self.in_chunks

    @property
    def threshold_words(self) -> int:
        return self.groups * (self.positions if self.per_position_thresholds else 1)

    @property
    def label_words(self) -> int:
        return self.groups * self.taps if self.has_labels else 0

    @property
    def landing_taps(self) -> int:
        """Kernel taps that land on an output pixel, summed over the output pixels."""
        return sum(len(self.rows[oy]) * len(self.rows[ox])
                   for oy in range(self.out_side) for ox in range(self.out_side))

    @property
    def issue_cycles(self) -> int:
        """Clocks in which this layer reads operands (one per tap, group, chunk and pass)."""
        return self.landing_taps * self.groups * self.in_chunks * self.passes

    @property
    def zero_insertion_macs(self) -> int:
        """MACs of the same layer computed by inserting stride − 1 zeros between the inputs
        and running a dense convolution (every output pixel × every tap): what a
        zero-insertion engine spends. Equals :attr:`useful_macs` for fully connected layers."""
        if self.fully_connected:
            return self.useful_macs
        return self.positions * self.taps * self.in_channels * self.out_channels

    @property
    def useful_macs(self) -> int:
        """Binary (or integer) multiply-accumulates of the model itself, labels excluded."""
        return self.landing_taps * self.in_channels * self.out_channels


def transposed_rows(in_side: int, out_side: int, kernel: int, stride: int,
                     padding: int) -> tuple:
    """For each output row o: the (input row i, kernel row a) with o = i·stride − padding + a."""
    return tuple(tuple((i, o + padding - i * stride) for i in range(in_side)
                       if 0 <= o + padding - i * stride < kernel)
                 for o in range(out_side))
