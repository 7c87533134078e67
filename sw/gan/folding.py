"""Batch norm folded into integer thresholds, the integer last layer and its sigmoid table.

A hidden binary layer computes an integer pre-activation ``acc`` (a popcount-style sum of ±1,
0/1 and ternary products), then in eval mode ``bn = gamma * (acc - mean) / sqrt(var + eps) + beta``
and ``out = sign(bn)`` with ``sign(0) = +1``. Per output unit this is one integer comparison:

- ``gamma > 0``: ``out = +1  iff  acc >= tau`` with ``tau = ceil(c)``,  ``flip = 0``;
- ``gamma < 0``: ``out = +1  iff  acc <= tau`` with ``tau = floor(c)``, ``flip = 1``;
- ``gamma = 0``: constant ``sign(beta)``: ``flip = 0`` and ``tau`` below / above every ``acc``;

where ``c = mean - beta * sqrt(var + eps) / gamma``. Thresholds are clamped to the reachable
range ``[-fan_in - 1, fan_in + 1]`` (|acc| <= fan_in), which changes no output and bounds their
bit width for the hardware. The only disagreements with the float batch norm are exact ties
(``bn`` within rounding of 0), where float rounding decides either way.

The last layer: ``acc = sum(w_int * x) + bias_int``; pixel = ``table[clip(acc - offset, 0,
len(table) - 1)]`` where ``table[i] = round(255 * sigmoid(scale * (offset + i)))`` covers every
accumulator value at which the rounded sigmoid is neither 0 nor 255 (and one saturated entry on
each side), so clipping is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from bitspin.hw.gan.architecture import GanConfig
from bitspin.sw.gan.binary_layers import binary_sign, quantize_last_weights

__all__ = ["FoldedLayer", "FoldedModel", "fold_batchnorm", "fold_generator", "sigmoid_table",
           "MAX_TABLE"]

#: Largest sigmoid table accepted (entries): bounds memory for untrusted model files.
MAX_TABLE = 1 << 20


@dataclass
class FoldedLayer:
    """One hidden binary layer: ±1 weights (int8, PyTorch layout) and a comparison per unit."""

    weight: np.ndarray       # int8 ±1; Linear [out, in], ConvTranspose2d [in, out, k, k]
    threshold: np.ndarray    # int32 [out]
    flip: np.ndarray         # uint8 [out]: 0 -> acc >= threshold, 1 -> acc <= threshold

    @property
    def fan_in(self) -> int:
        w = self.weight
        return w.shape[1] if w.ndim == 2 else w.shape[0] * w.shape[2] * w.shape[3]


@dataclass
class FoldedModel:
    """Everything the integer generator needs; :mod:`sw.gan.export` writes it to a file."""

    config: GanConfig
    fc: list[FoldedLayer]
    deconv: list[FoldedLayer]
    last_weight: np.ndarray   # int8 [in, 1, k, k], |w| <= config.last_weight_max
    last_bias: int            # in accumulator units
    last_scale: float         # real value of one accumulator unit (sigmoid input)
    table: np.ndarray         # uint8 [T]
    table_offset: int         # accumulator value of table[0]
    metadata: dict = field(default_factory=dict)


def fold_batchnorm(fan_in: int, mean, var, eps: float, gamma, beta) -> tuple[np.ndarray, np.ndarray]:
    """Integer thresholds (int32) and flip flags (uint8) for ``sign(bn(acc))``; see module doc."""
    mean, var, gamma, beta = (np.asarray(a, dtype=np.float64) for a in (mean, var, gamma, beta))
    if not all(np.all(np.isfinite(a)) for a in (mean, var, gamma, beta)):
        raise ValueError("batch norm parameters must be finite")
    std = np.sqrt(var + eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = mean - beta * std / gamma
    low, high = -fan_in - 1, fan_in + 1
    tau = np.where(gamma > 0, np.ceil(np.clip(c, low, high)), np.floor(np.clip(c, low, high)))
    flip = (gamma < 0)
    # gamma == 0: constant sign(beta) via an always-true (acc >= -fan_in) or never-true compare.
    tau = np.where(gamma == 0, np.where(beta >= 0, -fan_in, fan_in + 1), tau)
    return tau.astype(np.int32), flip.astype(np.uint8)


def sigmoid_table(scale: float, max_abs_acc: int) -> tuple[np.ndarray, int]:
    """``(table, offset)`` for pixel = round(255 * sigmoid(scale * acc)); see module doc."""
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"last-layer scale must be positive and finite, not {scale}")
    # Beyond +-edge the rounded sigmoid is saturated at 0 / 255 (logit(0.5/255) ~ -6.24).
    edge = math.ceil(math.log(254.5 / 0.5) / scale) + 1
    edge = min(edge, max_abs_acc + 1)
    if 2 * edge + 1 > MAX_TABLE:
        raise ValueError(f"sigmoid table would have {2 * edge + 1} entries (max {MAX_TABLE})")
    acc = np.arange(-edge, edge + 1, dtype=np.float64)
    table = np.rint(255.0 / (1.0 + np.exp(-scale * acc))).astype(np.uint8)
    return table, -edge


def _binary_weight(param: torch.Tensor) -> np.ndarray:
    return binary_sign(param.detach().to(torch.float64)).numpy().astype(np.int8)


def _fold_layer(layer, bn, fan_in: int) -> FoldedLayer:
    tau, flip = fold_batchnorm(fan_in, bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps,
                               bn.weight.detach().numpy(), bn.bias.detach().numpy())
    return FoldedLayer(_binary_weight(layer.weight), tau, flip)


@torch.no_grad()
def fold_generator(gen) -> FoldedModel:
    """Fold a binarized :class:`~sw.gan.generator.Generator` (its eval-mode statistics)."""
    if not gen.binary:
        raise ValueError("only a binarized generator can be folded to integers")
    fc = [_fold_layer(l, bn, l.in_features) for l, bn in zip(gen.fc, gen.fc_bn)]
    deconv = [_fold_layer(l, bn, l.in_channels * l.kernel_size[0] * l.kernel_size[1])
              for l, bn in zip(gen.deconv, gen.deconv_bn)]
    last = gen.last
    w_int, b_int, scale = quantize_last_weights(last.weight, last.bias, last.max_int)
    w = w_int.numpy().astype(np.int8)
    stride = gen.config.stride
    # Each output pixel of a stride-s transposed convolution sees at most ceil(k/s)^2 inputs.
    taps = math.ceil(gen.config.kernel / stride) ** 2
    max_abs = int(np.abs(w).max(initial=0)) * w.shape[0] * taps + abs(int(b_int.item()))
    table, offset = sigmoid_table(float(scale), max_abs)
    return FoldedModel(gen.config, fc, deconv, w, int(b_int.item()), float(scale), table, offset)
