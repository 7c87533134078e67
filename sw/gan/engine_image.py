"""A model file's integers laid out as the GAN engine's memory contents (see ``bitspin.hw.gan.image``)."""

from __future__ import annotations

import numpy as np

from bitspin.hw.gan.image import EngineImage
from bitspin.hw.gan.integer_lane import total_bits
from bitspin.hw.gan.layer_plan import LayerPlan
from bitspin.hw.gan.plan import EngineParams, EnginePlan, plan_engine
from bitspin.sw.gan.folding import FoldedModel

__all__ = ["build_engine_image", "engine_image_for", "pack_latent"]


def _words(fields: np.ndarray, bits: int) -> tuple[int, ...]:
    """Pack ``fields`` [words, n] (non-negative, < 2^bits) into ints, field i at bit i·bits."""
    fields = np.asarray(fields, dtype=np.uint64)
    words, n = fields.shape
    bit_array = ((fields[:, :, None] >> np.arange(bits, dtype=np.uint64)) & 1).astype(np.uint8)
    packed = np.packbits(bit_array.reshape(words, n * bits), axis=1, bitorder="little")
    return tuple(int.from_bytes(row.tobytes(), "little") for row in packed)


def _twos(values: np.ndarray, bits: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int64) & ((1 << bits) - 1)


def _binary_weights(layer: LayerPlan, weight: np.ndarray, config, params: EngineParams) -> np.ndarray:
    """Weight bits [groups, taps, in_chunks, lanes, B] of one binary layer (1 = +1)."""
    m, b = params.lanes, params.chunk_bits
    # w[o, tap, i]: ±1 of output channel o, tap, input channel i (labels excluded).
    if layer.fully_connected:         # fully connected; "tap" p = output pixel of C x P
        w = weight.reshape(layer.out_channels, layer.positions, -1)[:, :, :layer.in_channels]
    else:                                                            # [in, out, k, k]
        w = weight[:layer.in_channels].transpose(1, 2, 3, 0).reshape(
            layer.out_channels, layer.taps, layer.in_channels)
    bits = np.zeros((layer.groups * m, layer.taps, layer.in_chunks * b), dtype=np.uint8)
    bits[:layer.out_channels, :, :layer.in_channels] = w > 0
    return bits.reshape(layer.groups, m, layer.taps, layer.in_chunks, b).transpose(0, 2, 3, 1, 4)


def _label_terms(layer: LayerPlan, weight: np.ndarray, config) -> np.ndarray:
    """Label term [out, taps, n_classes]: the summed weights of the label inputs for label y."""
    n = config.n_classes
    if layer.fully_connected:                              # fc from z: R copies after z
        lab = weight.reshape(layer.out_channels, layer.positions, -1)[:, :, layer.in_channels:]
        return lab.reshape(layer.out_channels, layer.positions, config.label_repeat, n).sum(2)
    lab = weight[layer.in_channels:]                                 # [n, out, k, k]
    return lab.transpose(1, 2, 3, 0).reshape(layer.out_channels, layer.taps, n)


def build_engine_image(model: FoldedModel, plan: EnginePlan) -> EngineImage:
    """The engine's memory contents for ``model`` under ``plan`` (which must match its config)."""
    config, params = model.config, plan.params
    if plan.config != config:
        raise ValueError("the engine plan was made for a different architecture than the model")
    m, b, n = params.lanes, params.chunk_bits, config.n_classes
    acc_bits, label_bits = plan.accumulator_bits, plan.label_bits
    weights, thresholds, labels = [], [], []
    for layer, folded in zip(plan.binary_layers, [*model.fc, *model.deconv]):
        bits = _binary_weights(layer, folded.weight.astype(np.int64), config, params)
        weights.extend(_words(bits.reshape(-1, m * b), 1))
        # Thresholds: [positions or 1, groups, lanes] with per-lane (flip | tau << 1).
        # A two-pass layer (the ternary z) accumulates twice its sum: its thresholds double.
        tau = folded.threshold.astype(np.int64) * layer.passes
        flip = folded.flip.astype(np.int64)
        if layer.per_position_thresholds:                            # neuron o = c·P + p
            tau = tau.reshape(layer.out_channels, layer.positions).T
            flip = flip.reshape(layer.out_channels, layer.positions).T
        else:
            tau, flip = tau[None, :], flip[None, :]
        pad = layer.groups * m - layer.out_channels
        # A flipped lane's acc <= tau is stored as acc < tau + 1 (hw.gan.xnor_popcount).
        field = flip | (_twos(tau + flip, acc_bits) << 1)
        field = np.pad(field, ((0, 0), (0, pad))).reshape(-1, m)
        thresholds.extend(_words(field, acc_bits + 1))
        if layer.has_labels:
            terms = _label_terms(layer, folded.weight.astype(np.int64), config)
            terms = np.pad(terms, ((0, pad), (0, 0), (0, 0)))         # [groups·M, taps, n]
            terms = terms.reshape(layer.groups, m, layer.taps, n).transpose(0, 2, 3, 1)
            fields = terms.reshape(-1, plan.labels_per_word * m)      # label-major
            fields = (fields > 0).astype(np.int64) if label_bits == 1 else _twos(fields, label_bits)
            labels.extend(_words(fields, label_bits))
    if not labels:
        labels = [0] * plan.label_depth
    last = plan.last_layer
    w = model.last_weight.astype(np.int64)[:, 0]                     # [in + n, k, k]
    w_main = np.zeros((last.taps, last.in_chunks * b), dtype=np.int64)
    w_main[:, :last.in_channels] = w[:last.in_channels].reshape(last.in_channels, -1).T
    # Each word carries its total above the weights (see hw.gan.integer_lane).
    words = w_main.reshape(-1, b)
    totals = _twos(words.sum(axis=1), total_bits(b, config.last_weight_bits))
    last_weights = tuple(word | int(total) << (b * config.last_weight_bits) for word, total in
                         zip(_words(_twos(words, config.last_weight_bits),
                                    config.last_weight_bits), totals))
    last_labels = _words(_twos(w[last.in_channels:].reshape(n, -1).T.reshape(
        -1, plan.labels_per_word), config.last_weight_bits), config.last_weight_bits)
    return EngineImage(plan=plan, weights=tuple(weights), thresholds=tuple(thresholds),
                       labels=tuple(labels), last_weights=last_weights,
                       last_labels=tuple(last_labels),
                       table=tuple(int(v) for v in model.table),
                       table_bias=int(model.last_bias - model.table_offset))


def engine_image_for(model_path, params: EngineParams = EngineParams()) -> EngineImage:
    """Load a model file and lay it out for an engine with ``params``."""
    from bitspin.sw.gan.export import load_model
    model = load_model(model_path)
    return build_engine_image(model, plan_engine(model.config, params))


def pack_latent(z) -> tuple[int, int]:
    """The engine's ``(z_value, z_mask)`` for one ternary z: bit i of the value is z_i > 0, bit i
    of the mask z_i != 0 (a 0 of z contributes nothing)."""
    value = sum(1 << i for i, v in enumerate(z) if v > 0)
    mask = sum(1 << i for i, v in enumerate(z) if v != 0)
    return value, mask
