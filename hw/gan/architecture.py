"""The generator's shape and number formats, as one dataclass that travels in the model file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["GanConfig", "PRESETS", "preset"]


@dataclass(frozen=True)
class GanConfig:
    """Shape of the conditional generator (and the widths the hardware must provide).

    The generator maps ``[z, label_repeat copies of onehot(y)]`` through ``len(fc_widths)``
    binary fully connected layers, one binary FC layer of ``conv_channels * base * base``
    units reshaped to ``conv_channels x base x base``, then ``len(deconv_channels)`` binary transposed
    convolutions (each doubling the side) and a last transposed convolution to one channel
    with ``last_weight_bits``-bit signed integer weights. Before every transposed convolution
    the label is appended as ``n_classes`` constant 0/1 planes.
    """

    z_dim: int = 100
    n_classes: int = 10
    fc_widths: tuple[int, ...] = (600, 600, 600)
    conv_channels: int = 64          # channels of the reshaped FC output
    base: int = 7                    # side of the reshaped FC output
    deconv_channels: tuple[int, ...] = (64,)   # binary transposed convolutions after the reshape
    kernel: int = 5
    stride: int = 2
    padding: int = 2
    output_padding: int = 1
    last_weight_bits: int = 6        # signed: weights in [-(2^(b-1)-1), 2^(b-1)-1]
    z_zero_threshold: float = 0.5    # |z| < threshold quantizes to 0, else sign(z)
    # The one-hot label is appended to z this many times (R copies, 0/1 values). R = 1 moves a
    # ±1-weight accumulator by only ±1 against z's spread of about ±8, so conditioning is weak
    # (74% conditional accuracy); but R = 5 and R = 20 made the generator ignore z entirely
    # (one image per label, classifier-FID > 200), so the default stays at 1.
    label_repeat: int = 1

    def __post_init__(self):
        checks = [
            (self.z_dim >= 1, "z_dim must be >= 1"),
            (self.n_classes >= 2, "n_classes must be >= 2"),
            (len(self.fc_widths) >= 0 and all(w >= 1 for w in self.fc_widths),
             "fc_widths must be positive"),
            (self.conv_channels >= 1 and self.base >= 1, "conv_channels and base must be >= 1"),
            (all(c >= 1 for c in self.deconv_channels), "deconv_channels must be positive"),
            (self.kernel >= 1 and self.stride >= 1, "kernel and stride must be >= 1"),
            (0 <= self.padding < self.kernel, "padding must be in [0, kernel)"),
            (0 <= self.output_padding < self.stride, "output_padding must be in [0, stride)"),
            (2 <= self.last_weight_bits <= 16, "last_weight_bits must be in [2, 16]"),
            (self.z_zero_threshold >= 0, "z_zero_threshold must be >= 0"),
            (self.label_repeat >= 1, "label_repeat must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"bad GanConfig: {message}")
        if self.image_side <= 0:
            raise ValueError("bad GanConfig: the transposed convolutions give an empty image")

    @property
    def fc_in(self) -> int:
        """Inputs of the first FC layer: z, then ``label_repeat`` copies of the one-hot label."""
        return self.z_dim + self.n_classes * self.label_repeat

    @property
    def fc_out(self) -> int:
        """Units of the last FC layer (reshaped to channels x base x base)."""
        return self.conv_channels * self.base * self.base

    @property
    def last_weight_max(self) -> int:
        """Largest magnitude of a last-layer integer weight (symmetric range)."""
        return (1 << (self.last_weight_bits - 1)) - 1

    def side_after(self, n_deconv: int) -> int:
        """Spatial side after ``n_deconv`` transposed convolutions."""
        side = self.base
        for _ in range(n_deconv):
            side = ((side - 1) * self.stride - 2 * self.padding + self.kernel
                    + self.output_padding)
        return side

    @property
    def image_side(self) -> int:
        return self.side_after(len(self.deconv_channels) + 1)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> GanConfig:
        """Build from JSON metadata; unknown or badly typed keys raise ValueError."""
        if not isinstance(data, dict):
            raise ValueError("architecture config must be a JSON object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"unknown architecture keys: {sorted(unknown)}")
        kwargs = {}
        for key, value in data.items():
            default = fields[key].default
            if isinstance(default, tuple):
                if not isinstance(value, list) or not all(type(v) is int for v in value):
                    raise ValueError(f"architecture {key} must be a list of integers")
                value = tuple(value)
            elif isinstance(default, float):
                if type(value) not in (int, float):
                    raise ValueError(f"architecture {key} must be a number")
                value = float(value)
            elif type(value) is not int:
                raise ValueError(f"architecture {key} must be an integer")
            kwargs[key] = value
        return cls(**kwargs)


#: Named configurations: ``default`` follows the paper; ``small`` fits a small FPGA.
PRESETS = {
    "default": GanConfig(),
    "small": GanConfig(fc_widths=(256, 256), conv_channels=32, deconv_channels=(32,)),
}


def preset(name: str) -> GanConfig:
    """The named configuration, or ValueError listing the names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; choose from {sorted(PRESETS)}") from None
