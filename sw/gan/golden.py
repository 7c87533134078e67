"""The golden model: the binarized generator in integer NumPy, straight from a model file.

It is written independently of PyTorch (the transposed convolution is an explicit scatter of
kernel taps), computes only integers (matrix products run in float64 BLAS, where integers
below 2^53 are exact; see ``_int_matmul``), and must give uint8 images identical to
:meth:`sw.gan.generator.Generator.generate` for the same (z, y). The gateware is checked
against it.

Conventions, all shared with the PyTorch path: ±1 weights and activations, sign(0) = +1;
the label enters as 0/1 values (``label_repeat`` one-hot copies after z, constant planes
before each transposed convolution); ternary z in {-1, 0, +1}.
"""

from __future__ import annotations

import numpy as np

from bitspin.sw.gan.folding import FoldedLayer, FoldedModel
from bitspin.sw.gan.integer_path import check_inputs

__all__ = ["GoldenGenerator", "conv_transpose_int"]


def _int_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer matrix product a @ b (int64), computed by BLAS in float64.

    NumPy's integer matmul has no BLAS and is ~50x slower. Every operand here is a small
    integer and every partial sum has magnitude below 2^31 (checked), far below 2^53, so each
    float64 addition is exact in any order: the result is the integer product, bit for bit.
    """
    bound = float(np.abs(a).max(initial=0)) * float(np.abs(b).max(initial=0)) * a.shape[1]
    if bound >= 2.0 ** 31:
        raise ValueError("integer product too large for exact evaluation")
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def conv_transpose_int(x: np.ndarray, w: np.ndarray, stride: int, padding: int,
                       output_padding: int) -> np.ndarray:
    """Integer transposed convolution (PyTorch semantics): x [B, Cin, H, W], w [Cin, Cout, k, k].

    Each input pixel (i, j) adds ``w[:, :, a, b]`` to output pixel
    ``(i * stride - padding + a, j * stride - padding + b)``; outputs outside the image are
    dropped. Done as one matrix product per kernel tap.
    """
    b, cin, h, wd = x.shape
    _, cout, k, _ = w.shape
    oh = (h - 1) * stride - 2 * padding + k + output_padding
    ow = (wd - 1) * stride - 2 * padding + k + output_padding
    # Accumulate on a canvas large enough for every tap, then crop the padding away.
    canvas = np.zeros((b, cout, (h - 1) * stride + k + output_padding,
                       (wd - 1) * stride + k + output_padding), dtype=np.int64)
    xm = x.transpose(0, 2, 3, 1).reshape(-1, cin)
    for a in range(k):
        for c in range(k):
            contrib = _int_matmul(xm, w[:, :, a, c]).reshape(b, h, wd, cout)
            canvas[:, :, a:a + (h - 1) * stride + 1:stride,
                   c:c + (wd - 1) * stride + 1:stride] += contrib.transpose(0, 3, 1, 2)
    return canvas[:, :, padding:padding + oh, padding:padding + ow]


def _binary_out(acc: np.ndarray, layer: FoldedLayer, channel_axis: int) -> np.ndarray:
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    tau = layer.threshold.astype(np.int64).reshape(shape)
    flip = layer.flip.astype(bool).reshape(shape)
    plus = np.where(flip, acc <= tau, acc >= tau)
    return np.where(plus, 1, -1).astype(np.int8)


class GoldenGenerator:
    """Integer reference generator; build with :meth:`load` (a model file) or from a FoldedModel."""

    def __init__(self, model: FoldedModel):
        self.model = model

    @classmethod
    def load(cls, path) -> GoldenGenerator:
        from bitspin.sw.gan.export import load_model
        return cls(load_model(path))

    def generate(self, z, y, batch: int = 500) -> np.ndarray:
        """uint8 [B, side, side] (0 background, 255 ink) for ternary z [B, z_dim], labels y [B]."""
        z, y = check_inputs(z, y, self.model.config)
        side = self.model.config.image_side
        out = np.zeros((len(y), side, side), dtype=np.uint8)
        for start in range(0, len(y), batch):
            out[start:start + batch] = self._batch(z[start:start + batch], y[start:start + batch])
        return out

    def _batch(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        m, c = self.model, self.model.config
        onehot = np.zeros((len(y), c.n_classes), dtype=np.int8)
        onehot[np.arange(len(y)), y] = 1
        h = np.concatenate([z, np.tile(onehot, (1, c.label_repeat))], axis=1)
        for layer in m.fc:
            acc = _int_matmul(h, layer.weight.T)
            h = _binary_out(acc, layer, 1)
        h = h.reshape(-1, c.conv_channels, c.base, c.base)

        def with_labels(h):
            planes = np.broadcast_to(onehot[:, :, None, None], (*onehot.shape, *h.shape[-2:]))
            return np.concatenate([h, planes], axis=1)

        for layer in m.deconv:
            acc = conv_transpose_int(with_labels(h), layer.weight, c.stride, c.padding,
                                     c.output_padding)
            h = _binary_out(acc, layer, 1)
        acc = conv_transpose_int(with_labels(h), m.last_weight, c.stride, c.padding,
                                 c.output_padding)[:, 0] + m.last_bias
        return m.table[np.clip(acc - m.table_offset, 0, len(m.table) - 1)]
