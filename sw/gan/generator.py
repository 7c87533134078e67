"""The conditional generator in PyTorch: binarized (B-DCGAN) or float (the quality baseline).

Binarized (``binary=True``): every hidden layer has ±1 weights, batch norm and a ±1 activation
(sign with straight-through estimator); the last transposed convolution has low-bit integer
weights and a bias (fake-quantized, see :class:`QuantConvTranspose2d`), then a sigmoid.
Float (``binary=False``): the same shape with real weights, ReLU and a float last layer.

Inputs: ``z`` ternary values {-1, 0, +1} (float tensor or int8 [B, z_dim]) and labels ``y``
(int64 [B]). The label enters every layer as 0/1 values: ``label_repeat`` copies of the
one-hot vector appended to z, and ``n_classes`` constant 0/1 planes appended before each
transposed convolution.

``forward`` is the training path (float batch norm). For deployment, :meth:`Generator.generate`
runs the eval path through the folded integer thresholds and the integer last layer
(:mod:`sw.gan.integer_path`), which the golden model reproduces bit for bit.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from bitspin.hw.gan.architecture import GanConfig
from bitspin.sw.gan.binary_layers import (BinaryConvTranspose2d, BinaryLinear, QuantConvTranspose2d,
                                  sign_ste)

__all__ = ["Generator", "label_planes"]


def label_planes(onehot: torch.Tensor, side: int) -> torch.Tensor:
    """One-hot labels [B, n] as constant 0/1 planes [B, n, side, side]."""
    return onehot[:, :, None, None].expand(-1, -1, side, side)


class Generator(nn.Module):
    """Conditional DCGAN generator of shape ``config``; binarized unless ``binary=False``."""

    def __init__(self, config: GanConfig | None = None, binary: bool = True):
        super().__init__()
        self.config = config = config or GanConfig()
        self.binary = binary
        c = config
        widths = [c.fc_in, *c.fc_widths, c.fc_out]
        self.fc = nn.ModuleList()
        self.fc_bn = nn.ModuleList()
        for w_in, w_out in zip(widths[:-1], widths[1:]):
            self.fc.append(BinaryLinear(w_in, w_out) if binary else nn.Linear(w_in, w_out, bias=False))
            self.fc_bn.append(nn.BatchNorm1d(w_out))
        chans = [c.conv_channels, *c.deconv_channels]
        conv_args = (c.kernel, c.stride, c.padding, c.output_padding)
        self.deconv = nn.ModuleList()
        self.deconv_bn = nn.ModuleList()
        for ch_in, ch_out in zip(chans[:-1], chans[1:]):
            ch_in += c.n_classes
            self.deconv.append(BinaryConvTranspose2d(ch_in, ch_out, *conv_args) if binary
                               else nn.ConvTranspose2d(ch_in, ch_out, *conv_args, bias=False))
            self.deconv_bn.append(nn.BatchNorm2d(ch_out))
        last_in = chans[-1] + c.n_classes
        self.last = (QuantConvTranspose2d(last_in, 1, *conv_args, bits=c.last_weight_bits)
                     if binary else nn.ConvTranspose2d(last_in, 1, *conv_args))

    def _act(self, x):
        return sign_ste(x) if self.binary else F.relu(x)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Pixels in [0, 1] (1 = ink), float [B, 1, side, side]; batch norm per ``self.training``."""
        c = self.config
        onehot = F.one_hot(y.long(), c.n_classes).to(torch.float32)
        h = torch.cat([z.to(torch.float32), onehot.repeat(1, c.label_repeat)], dim=1)
        for layer, bn in zip(self.fc, self.fc_bn):
            h = self._act(bn(layer(h)))
        h = h.view(-1, c.conv_channels, c.base, c.base)
        for layer, bn in zip(self.deconv, self.deconv_bn):
            h = torch.cat([h, label_planes(onehot, h.shape[-1])], dim=1)
            h = self._act(bn(layer(h)))
        h = torch.cat([h, label_planes(onehot, h.shape[-1])], dim=1)
        return torch.sigmoid(self.last(h))

    @torch.no_grad()
    def generate(self, z, y) -> torch.Tensor:
        """Deployed images, uint8 [B, side, side] (0 background, 255 ink).

        Binarized: through the folded integer model (bit-exact with the golden model).
        Float: eval-mode forward, rounded to 8 bits.
        """
        if self.binary:
            from bitspin.sw.gan.folding import fold_generator
            from bitspin.sw.gan.integer_path import integer_generate
            return integer_generate(fold_generator(self), z, y)
        was_training = self.training
        self.eval()
        try:
            x = self.forward(torch.as_tensor(z), torch.as_tensor(y))
        finally:
            self.train(was_training)
        return torch.round(x[:, 0] * 255).to(torch.uint8)
