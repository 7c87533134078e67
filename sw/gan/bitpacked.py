"""The bit-packed B-DCGAN generator: the CPU baseline the GAN engine is measured against.

It computes exactly what the golden model computes (``bitspin.sw.gan.golden``), uint8 images
bit for bit, but the way a bit-serial engine would on a CPU: activations and binary weights are
bits packed 64 to a word, a ±1 dot product is a popcount of an XOR, the label inputs are a
per-label lookup of their weights' sums, and the last layer's signed weights are split into
two's-complement bit-planes. Kernels in numba (``bitpacked_kernels``), over the batch, on as
many threads as asked.
"""

from __future__ import annotations

import time

import numpy as np

from bitspin.sw.gan.folding import FoldedModel
from bitspin.sw.gan.integer_path import check_inputs

__all__ = ["BitPackedGenerator"]


def _pack(bits: np.ndarray) -> np.ndarray:
    """Bool [..., n] as uint64 [..., ceil(n / 64)]: bit i of word i // 64, unused bits 0."""
    bits = np.asarray(bits, dtype=bool)
    n = bits.shape[-1]
    words = max(1, -(-n // 64))
    padded = np.zeros((*bits.shape[:-1], words * 64), dtype=np.uint8)
    padded[..., :n] = bits
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def _taps(in_side: int, config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output row u of a transposed convolution: the (input row, kernel row) pairs that
    reach it, as CSR (``rows``, ``row_taps``), and the 0/1 reach matrix [out side, k]."""
    k, s, p = config.kernel, config.stride, config.padding
    out_side = (in_side - 1) * s - 2 * p + k + config.output_padding
    rows, pairs = [0], []
    reach = np.zeros((out_side, k), dtype=np.int64)
    for u in range(out_side):
        for i in range(in_side):
            a = u + p - i * s
            if 0 <= a < k:
                pairs.append((i, a))
                reach[u, a] = 1
        rows.append(len(pairs))
    return np.array(rows, dtype=np.int64), np.array(pairs, dtype=np.int64).reshape(-1, 2), reach


def _threshold(layer) -> tuple[np.ndarray, np.ndarray]:
    """The folded batch norm as (sign, sign · τ): +1 iff sign · acc ≥ sign · τ, which is
    acc ≥ τ, or acc ≤ τ where the layer's γ < 0 (``flip``)."""
    sign = np.where(layer.flip.astype(bool), -1, 1).astype(np.int64)
    return sign, sign * layer.threshold.astype(np.int64)


class BitPackedGenerator:
    """Bit-exact with :class:`~bitspin.sw.gan.golden.GoldenGenerator`, much faster on a CPU.

    Parameters
    ----------
    model : FoldedModel
        The folded integer model (``bitspin.sw.gan.export.load_model``).
    """

    def __init__(self, model: FoldedModel):
        self.model = model
        c = model.config
        self._fc = []
        for index, layer in enumerate(model.fc):
            out = layer.weight.shape[0]
            inputs = c.z_dim if index == 0 else layer.weight.shape[1]
            labels = np.zeros((out, c.n_classes), dtype=np.int64)
            if index == 0:
                extra = layer.weight[:, c.z_dim:].astype(np.int64)
                labels = extra.reshape(out, c.label_repeat, c.n_classes).sum(axis=1)
            if index == len(model.fc) - 1:      # reshaped to channels × base × base pixels
                channel, pixel = np.divmod(np.arange(out), c.base * c.base)
                words = max(1, -(-c.conv_channels // 64))
                out_word, out_bit = pixel * words + channel // 64, channel % 64
            else:
                out_word, out_bit = np.arange(out) // 64, np.arange(out) % 64
            order = np.lexsort((out_bit, out_word))     # units in the order of their bits
            sign, tau = _threshold(layer)
            self._fc.append((np.ascontiguousarray(_pack(layer.weight[:, :inputs] > 0).T[:, order]),
                             inputs, sign[order], tau[order],
                             np.ascontiguousarray(labels.T[:, order]),
                             out_word[order].astype(np.int64), out_bit[order].astype(np.int64)))
        self._deconv = []
        side, channels = c.base, c.conv_channels
        for layer in model.deconv:
            rows, row_taps, reach = _taps(side, c)
            w = layer.weight
            out_channels = w.shape[1]
            labels = np.einsum("ua,vb,yoab->yuvo", reach, reach,
                               w[channels:].astype(np.int64)).reshape(c.n_classes, -1, out_channels)
            weights = _pack(w[:channels].transpose(2, 3, 1, 0) > 0)       # [k, k, out, words]
            self._deconv.append((np.ascontiguousarray(weights.transpose(0, 1, 3, 2)), channels,
                                 rows, row_taps, side, *_threshold(layer),
                                 np.ascontiguousarray(labels)))
            side, channels = len(rows) - 1, out_channels
        rows, row_taps, reach = _taps(side, c)
        w = model.last_weight[:, 0].astype(np.int64)              # [in, k, k]
        bits = c.last_weight_bits
        unsigned = w[:channels] & ((1 << bits) - 1)
        planes = ((unsigned[None] >> np.arange(bits)[:, None, None, None]) & 1)  # [bits, C, k, k]
        packed = _pack(planes.transpose(2, 3, 0, 1) > 0)             # [k, k, bits, words]
        self._last = (np.ascontiguousarray(packed.reshape(-1, bits, packed.shape[-1])
                                           .transpose(2, 1, 0)),
                      np.array([1 << k for k in range(bits - 1)] + [-(1 << (bits - 1))],
                               dtype=np.int64),
                      w[:channels].sum(axis=0), rows, row_taps, side, c.kernel,
                      np.ascontiguousarray(np.einsum("ua,vb,yab->yuv", reach, reach,
                                                     w[channels:]).reshape(c.n_classes, -1)),
                      int(model.last_bias), model.table.astype(np.uint8), int(model.table_offset))
        self.side = len(rows) - 1

    @classmethod
    def load(cls, path) -> BitPackedGenerator:
        from bitspin.sw.gan.export import load_model
        return cls(load_model(path))

    def generate(self, z, y, *, batch: int = 256, threads: int | None = None) -> np.ndarray:
        """uint8 [B, side, side] (0 background, 255 ink) for ternary z [B, z_dim], labels y [B],
        on ``threads`` numba threads (None: every core)."""
        from bitspin.sw.numba_support import set_threads
        from . import bitpacked_kernels
        z, y = check_inputs(z, y, self.model.config)
        kernels = (bitpacked_kernels.SERIAL if set_threads(threads) == 1
                   else bitpacked_kernels.PARALLEL)
        out = np.zeros((len(y), self.side * self.side), dtype=np.uint8)
        for start in range(0, len(y), batch):
            stop = min(len(y), start + batch)
            self._batch(kernels, z[start:stop], y[start:stop], out[start:stop])
        return out.reshape(len(y), self.side, self.side)

    def _batch(self, kernels, z, y, out) -> None:
        count = len(y)
        x, mask = _pack(z > 0), _pack(z != 0)
        for index, (weights, inputs, sign, tau, labels, out_word, out_bit) in enumerate(self._fc):
            if index:
                mask = np.broadcast_to(_pack(np.ones(inputs, dtype=bool)), x.shape).copy()
            result = np.zeros((count, int(out_word.max()) + 1), dtype=np.uint64)
            kernels["fc_layer"](x, mask, weights, sign, tau, labels, y, out_word, out_bit,
                                result)
            x = result
        c = self.model.config
        x = x.reshape(count, c.base * c.base, -1)
        for weights, channels, rows, row_taps, width, sign, tau, labels in self._deconv:
            side = len(rows) - 1
            result = np.zeros((count, side * side, max(1, -(-weights.shape[3] // 64))),
                              dtype=np.uint64)
            kernels["deconv_layer"](x, weights, channels, rows, row_taps, width, sign, tau,
                                    labels, y, result)
            x = result
        planes, coefficients, sums, rows, row_taps, width, kernel, labels, bias, table, \
            offset = self._last
        kernels["last_layer"](x, planes, coefficients, sums, rows, row_taps, width, kernel,
                              labels, y, bias, table, offset, out)

    def images_per_s(self, z, y, *, repeats: int = 3, threads: int | None = None) -> list[float]:
        """images/s of ``repeats`` timed runs after one untimed warm-up (compilation, caches)."""
        self.generate(z[:1], y[:1], threads=threads)
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            self.generate(z, y, threads=threads)
            rates.append(len(y) / (time.perf_counter() - start))
        return rates
