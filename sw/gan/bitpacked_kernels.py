"""Numba kernels of the bit-packed B-DCGAN generator (see ``bitspin.sw.gan.bitpacked``).

Activations and binary weights are bits (1 = +1) packed 64 to a uint64, unused high bits 0 in
both, so a ±1 dot product over n inputs is n − 2·popcount(w ^ x). Every kernel runs over the
batch (``prange``); each has a parallel and a serial build, as one thread pays for opening a
parallel region and gains nothing from it.
"""

from __future__ import annotations

from numba import njit, prange, uint64
from numba.extending import intrinsic

__all__ = ["SERIAL", "PARALLEL"]


@intrinsic
def _popcount(typingctx, x):
    """LLVM's ctpop: one popcnt instruction on x86-64."""
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])
    return x(x), codegen


@njit(inline="always")
def _plus(acc, tau, flip):
    """The folded batch norm: +1 iff acc ≥ τ, or acc ≤ τ when the layer's γ < 0."""
    return acc <= tau if flip else acc >= tau


def _fc_layer(x, x_mask, weights, tau, flip, label_table, labels, out_word, out_bit, out):
    """A fully connected binary layer. ``x``/``x_mask`` [B, words]: input values and which
    inputs are not 0 (z is ternary; hidden layers pass all their bits). ``label_table[o, y]``
    is the label inputs' term (zeros when the layer has none). Output unit o sets bit
    ``out_bit[o]`` of ``out[b, out_word[o]]`` when it is +1 (``out`` starts at 0)."""
    for b in prange(x.shape[0]):
        y = labels[b]
        nonzero = 0
        for w in range(x.shape[1]):
            nonzero += _popcount(x_mask[b, w])
        for o in range(weights.shape[0]):
            disagree = 0
            for w in range(x.shape[1]):
                disagree += _popcount((weights[o, w] ^ x[b, w]) & x_mask[b, w])
            acc = nonzero - 2 * disagree + label_table[o, y]
            if _plus(acc, tau[o], flip[o]):
                out[b, out_word[o]] |= uint64(1) << uint64(out_bit[o])


def _deconv_layer(x, weights, channels, rows, row_taps, width, tau, flip, label_table, labels,
                  out):
    """A binary transposed convolution. ``x`` [B, H·W, words]: each input pixel's channels;
    ``weights`` [k, k, C_out, words]. Output row u sums the (input row, kernel row) pairs
    ``row_taps[rows[u]:rows[u + 1]]`` (the same table serves the columns); ``label_table``
    [classes, C_out, pixels] holds the constant label planes' term. ``out`` [B, pixels,
    out words] starts at 0."""
    side = rows.shape[0] - 1
    n_out = weights.shape[2]
    words = x.shape[2]
    for b in prange(x.shape[0]):
        y = labels[b]
        acc = label_table[y].copy()        # [C_out, pixels]
        for u in range(side):
            for v in range(side):
                pixel = u * side + v
                taps = 0
                for r in range(rows[u], rows[u + 1]):
                    i, ka = row_taps[r, 0], row_taps[r, 1]
                    for c in range(rows[v], rows[v + 1]):
                        j, kb = row_taps[c, 0], row_taps[c, 1]
                        taps += 1
                        source = i * width + j
                        for o in range(n_out):
                            disagree = 0
                            for w in range(words):
                                disagree += _popcount(weights[ka, kb, o, w] ^ x[b, source, w])
                            acc[o, pixel] -= 2 * disagree
                for o in range(n_out):
                    total = acc[o, pixel] + taps * channels
                    if _plus(total, tau[o], flip[o]):
                        out[b, pixel, o // 64] |= uint64(1) << uint64(o % 64)


def _last_layer(x, planes, coefficients, weight_sums, rows, row_taps, width, label_table, labels,
                bias, table, offset, out):
    """The integer last layer: Σ w·x over ±1 inputs is 2·Σ_{x = +1} w − Σ w, and Σ_{x = +1} w
    is Σ_k coefficient_k · popcount(plane_k & x) over the weights' two's-complement bit-planes
    ``planes`` [k, k, bits, words]. Then the sigmoid table: ``out`` [B, pixels] uint8."""
    side = rows.shape[0] - 1
    bits = planes.shape[2]
    words = x.shape[2]
    last = table.shape[0] - 1
    for b in prange(x.shape[0]):
        y = labels[b]
        for u in range(side):
            for v in range(side):
                pixel = u * side + v
                acc = label_table[y, pixel] + bias
                for r in range(rows[u], rows[u + 1]):
                    i, ka = row_taps[r, 0], row_taps[r, 1]
                    for c in range(rows[v], rows[v + 1]):
                        j, kb = row_taps[c, 0], row_taps[c, 1]
                        source = i * width + j
                        positive = 0
                        for k in range(bits):
                            count = 0
                            for w in range(words):
                                count += _popcount(planes[ka, kb, k, w] & x[b, source, w])
                            positive += coefficients[k] * count
                        acc += 2 * positive - weight_sums[ka, kb]
                index = acc - offset
                out[b, pixel] = table[0 if index < 0 else (last if index > last else index)]


_KERNELS = (("fc_layer", _fc_layer), ("deconv_layer", _deconv_layer), ("last_layer", _last_layer))
#: The kernels by name, built for one thread and for several.
SERIAL = {name: njit(cache=True)(f) for name, f in _KERNELS}
PARALLEL = {name: njit(parallel=True, cache=True)(f) for name, f in _KERNELS}
