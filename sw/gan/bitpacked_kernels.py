"""Numba kernels of the bit-packed B-DCGAN generator (see ``bitspin.sw.gan.bitpacked``).

Activations and binary weights are bits (1 = +1) packed 64 to a uint64, unused high bits 0 in
both, so a ±1 dot product over n inputs is n − 2·popcount(w ^ x). The weights are laid out
with the output units innermost, so that the innermost loop runs over outputs with one input
word held in a register: LLVM turns it into vector popcounts (AVX-512 VPOPCNTQ where the CPU
has it). Every kernel runs over the batch in chunks (``prange``), each chunk with its own
scratch; each has a parallel and a serial build, as one thread pays for opening a parallel
region and gains nothing from it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from bitspin.sw.numba_support import popcount as _popcount

__all__ = ["SERIAL", "PARALLEL", "CHUNK"]

#: Images per scratch allocation and per parallel work item.
CHUNK = 16


def _fc_layer(x, x_mask, weights, sign, tau, label_table, labels, out_word, out_bit, out):
    """A fully connected binary layer. ``x``/``x_mask`` [B, words]: input values and which
    inputs are not 0 (z is ternary; hidden layers pass all their bits); ``weights`` [words,
    out]. ``label_table[y, o]`` is the label inputs' term (zeros when the layer has none).
    Unit o is +1 iff sign[o]·acc ≥ tau[o] (the folded batch norm, its γ's sign in ``sign``);
    its bit is ``out_bit[o]`` of ``out[b, out_word[o]]``, units sorted by (word, bit)."""
    count, words = x.shape
    n_out = weights.shape[1]
    for chunk in prange((count + CHUNK - 1) // CHUNK):
        acc = np.empty(n_out, dtype=np.int64)
        for b in range(chunk * CHUNK, min(count, chunk * CHUNK + CHUNK)):
            y = labels[b]
            nonzero = 0
            for w in range(words):
                nonzero += _popcount(x_mask[b, w])
            for o in range(n_out):
                acc[o] = nonzero + label_table[y, o]
            for w in range(words):
                xw, mw = x[b, w], x_mask[b, w]
                for o in range(n_out):
                    acc[o] -= 2 * _popcount((weights[w, o] ^ xw) & mw)
            # Branch-free: the signs are data, and a mispredicted branch per unit costs more
            # than the whole dot product.
            word, bits = out_word[0], uint64(0)
            for o in range(n_out):
                if out_word[o] != word:
                    out[b, word] = bits
                    word, bits = out_word[o], uint64(0)
                bits |= uint64(sign[o] * acc[o] >= tau[o]) << uint64(out_bit[o])
            out[b, word] = bits


def _deconv_layer(x, weights, channels, rows, row_taps, width, sign, tau, label_table, labels,
                  out):
    """A binary transposed convolution. ``x`` [B, H·W, words]: each input pixel's channels;
    ``weights`` [k, k, words, C_out]. Output row u sums the (input row, kernel row) pairs
    ``row_taps[rows[u]:rows[u + 1]]`` (the same table serves the columns); ``label_table``
    [classes, pixels, C_out] holds the constant label planes' term. ``out`` [B, pixels,
    out words]."""
    side = rows.shape[0] - 1
    n_out, words = weights.shape[3], x.shape[2]
    count = x.shape[0]
    for chunk in prange((count + CHUNK - 1) // CHUNK):
        acc = np.empty(n_out, dtype=np.int64)
        for b in range(chunk * CHUNK, min(count, chunk * CHUNK + CHUNK)):
            y = labels[b]
            for u in range(side):
                for v in range(side):
                    pixel = u * side + v
                    for o in range(n_out):
                        acc[o] = label_table[y, pixel, o]
                    taps = 0
                    for r in range(rows[u], rows[u + 1]):
                        i, ka = row_taps[r, 0], row_taps[r, 1]
                        for c in range(rows[v], rows[v + 1]):
                            j, kb = row_taps[c, 0], row_taps[c, 1]
                            taps += 1
                            for w in range(words):
                                xw = x[b, i * width + j, w]
                                for o in range(n_out):
                                    acc[o] -= 2 * _popcount(weights[ka, kb, w, o] ^ xw)
                    total = taps * channels
                    for word in range(out.shape[2]):
                        bits = uint64(0)
                        for o in range(word * 64, min(n_out, word * 64 + 64)):
                            bits |= uint64(sign[o] * (acc[o] + total) >= tau[o]) \
                                << uint64(o - word * 64)
                        out[b, pixel, word] = bits


def _last_layer(x, planes, coefficients, weight_sums, rows, row_taps, width, kernel,
                label_table, labels, bias, table, offset, out):
    """The integer last layer: Σ w·x over ±1 inputs is 2·Σ_{x = +1} w − Σ w, and Σ_{x = +1} w
    is Σ_k coefficient_k · popcount(plane_k & x) over the weights' two's-complement bit-planes
    ``planes`` [words, bits, k·k]. Computed per input pixel for every kernel tap at once, then
    gathered per output pixel; then the sigmoid table: ``out`` [B, pixels] uint8."""
    side = rows.shape[0] - 1
    words, bits, n_taps = planes.shape
    sources = x.shape[1]
    last = table.shape[0] - 1
    count = x.shape[0]
    for chunk in prange((count + CHUNK - 1) // CHUNK):
        partial = np.empty((sources, n_taps), dtype=np.int64)
        for b in range(chunk * CHUNK, min(count, chunk * CHUNK + CHUNK)):
            y = labels[b]
            for s in range(sources):
                for t in range(n_taps):
                    partial[s, t] = 0
                for w in range(words):
                    xw = x[b, s, w]
                    for k in range(bits):
                        coefficient = coefficients[k]
                        for t in range(n_taps):
                            partial[s, t] += coefficient * _popcount(planes[w, k, t] & xw)
            for u in range(side):
                for v in range(side):
                    pixel = u * side + v
                    acc = label_table[y, pixel] + bias
                    for r in range(rows[u], rows[u + 1]):
                        i, ka = row_taps[r, 0], row_taps[r, 1]
                        for c in range(rows[v], rows[v + 1]):
                            j, kb = row_taps[c, 0], row_taps[c, 1]
                            acc += 2 * partial[i * width + j, ka * kernel + kb] \
                                - weight_sums[ka, kb]
                    out[b, pixel] = table[min(max(acc - offset, 0), last)]


_KERNELS = (("fc_layer", _fc_layer), ("deconv_layer", _deconv_layer), ("last_layer", _last_layer))
#: The kernels by name, built for one thread and for several.
SERIAL = {name: njit(cache=True)(f) for name, f in _KERNELS}
PARALLEL = {name: njit(parallel=True, cache=True)(f) for name, f in _KERNELS}
