"""Binarization for training (BinaryNet style): sign with a straight-through estimator.

``sign(0) = +1`` everywhere in this project (torch.sign would give 0, which is not a binary
value). Weights are kept as latent reals, binarized in the forward pass, and clipped to
[-1, 1] after every optimizer step (:func:`clip_latent_weights`), so that the straight-through
gradient (passed only where |w| <= 1) keeps them able to change sign.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["binary_sign", "sign_ste", "SignSTE", "BinaryLinear", "BinaryConvTranspose2d",
           "QuantConvTranspose2d", "clip_latent_weights", "quantize_last_weights"]


def binary_sign(x: torch.Tensor) -> torch.Tensor:
    """+1 where x >= 0, else -1 (same dtype as x); no gradient."""
    return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class _SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return binary_sign(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # Hardtanh's gradient: the estimator is cancelled where |x| > 1 (BinaryNet, Courbariaux 2016).
        return grad * (x.abs() <= 1).to(grad.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """sign(x) in the forward pass (sign(0) = +1); hardtanh's gradient in the backward pass."""
    return _SignSTE.apply(x)


class SignSTE(nn.Module):
    """Binary activation module: :func:`sign_ste`."""

    def forward(self, x):
        return sign_ste(x)


class BinaryLinear(nn.Linear):
    """Linear layer with ±1 weights (latent real weights), no bias: batch norm follows."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features, bias=False)
        nn.init.uniform_(self.weight, -1.0, 1.0)
        self.weight.latent_clip = True

    def forward(self, x):
        return F.linear(x, sign_ste(self.weight))


class BinaryConvTranspose2d(nn.ConvTranspose2d):
    """Transposed convolution with ±1 weights, no bias: batch norm follows."""

    def __init__(self, in_channels, out_channels, kernel, stride, padding, output_padding):
        super().__init__(in_channels, out_channels, kernel, stride, padding, output_padding,
                         bias=False)
        nn.init.uniform_(self.weight, -1.0, 1.0)
        self.weight.latent_clip = True

    def forward(self, x):
        return F.conv_transpose2d(x, sign_ste(self.weight), None, self.stride, self.padding,
                                  self.output_padding)


def quantize_last_weights(weight: torch.Tensor, bias: torch.Tensor, max_int: int):
    """Per-layer symmetric quantization: (integer weights, integer bias, scale).

    ``scale = max|w| / max_int``; weights round to nearest in [-max_int, max_int]; the bias is
    expressed in accumulator units (``round(b / scale)``) so that the output is
    ``sigmoid(scale * (acc + bias_int))``.
    """
    scale = weight.detach().abs().max().clamp_min(1e-8) / max_int
    w_int = torch.round(torch.clamp(weight.detach() / scale, -max_int, max_int))
    b_int = torch.round(bias.detach() / scale)
    return w_int, b_int, scale


class QuantConvTranspose2d(nn.ConvTranspose2d):
    """Last layer: low-bit integer weights times a per-layer scale (fake quantization, STE).

    The forward pass uses ``scale * w_int`` and ``scale * b_int`` while the gradient flows to the
    real weights unchanged, so training sees exactly the values that are exported.
    """

    def __init__(self, in_channels, out_channels, kernel, stride, padding, output_padding,
                 bits: int):
        super().__init__(in_channels, out_channels, kernel, stride, padding, output_padding,
                         bias=True)
        self.max_int = (1 << (bits - 1)) - 1

    def forward(self, x):
        w_int, b_int, scale = quantize_last_weights(self.weight, self.bias, self.max_int)
        weight = self.weight + (w_int * scale - self.weight).detach()
        bias = self.bias + (b_int * scale - self.bias).detach()
        return F.conv_transpose2d(x, weight, bias, self.stride, self.padding, self.output_padding)


@torch.no_grad()
def clip_latent_weights(module: nn.Module) -> None:
    """Clip every latent binary weight to [-1, 1] (call after each optimizer step)."""
    for p in module.parameters():
        if getattr(p, "latent_clip", False):
            p.clamp_(-1.0, 1.0)
