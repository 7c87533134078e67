"""The contents of the engine's memories for one model: built by ``bitspin.sw.gan.engine_image``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bitspin.hw.gan.plan import EnginePlan, plan_engine

__all__ = ["EngineImage"]


def _reflow(words, field_bits: int, per_word: int, new_per_word: int) -> tuple[int, ...]:
    """``words`` of ``per_word`` fields each, as words of ``new_per_word`` fields."""
    mask = (1 << field_bits) - 1
    fields = [word >> (i * field_bits) & mask for word in words for i in range(per_word)]
    return tuple(sum(f << (i * field_bits) for i, f in enumerate(fields[j:j + new_per_word]))
                 for j in range(0, len(fields), new_per_word))


@dataclass(frozen=True)
class EngineImage:
    """Initial contents of every engine memory (Python ints), laid out by an :class:`EnginePlan`.

    - ``weights``: ``plan.weight_depth`` words of lanes × chunk_bits bits; lane m holds bits
      [m·B, (m+1)·B), bit j = weight of input channel chunk·B + j for output channel g·M + m,
      1 for +1 (padding 0). Word ``weight_base + (g·taps + tap)·in_chunks + chunk``.
    - ``thresholds``: lanes × (accumulator_bits + 1) bits; per lane bit 0 = flip, then τ
      (times the layer's passes: 2τ for the layer fed by the ternary z), plus 1 where flip.
    - ``labels``: with L = ``plan.labels_per_word`` (n for a batch, else 1), word
      ``((label_base + g·taps + tap)·n + y) / L`` holds L × lanes fields of label_bits (signed
      when wider than 1): label y's term of lane m at field (y mod L)·lanes + m.
    - ``last_weights``: chunk_bits × last_weight_bits (signed) per word ``tap·in_chunks + chunk``,
      then the word's total (``hw.gan.integer_lane.total_bits`` wide, signed).
    - ``last_labels``: word ``(tap·n + y) / L`` holds L fields of last_weight_bits (two's
      complement): label y's weight at field y mod L.
    - ``table``: the sigmoid table; ``table_bias`` = last_bias − table_offset, so that the pixel
      is ``table[clip(acc + table_bias, 0, len(table) − 1)]``.
    """

    plan: EnginePlan
    weights: tuple[int, ...]
    thresholds: tuple[int, ...]
    labels: tuple[int, ...]
    last_weights: tuple[int, ...]
    last_labels: tuple[int, ...]
    table: tuple[int, ...]
    table_bias: int

    def __post_init__(self):
        plan, last = self.plan, self.plan.last_layer
        expected = {"weights": plan.weight_depth, "thresholds": plan.threshold_depth,
                    "labels": plan.label_depth,
                    "last_weights": last.taps * last.in_chunks,
                    "last_labels": last.taps * plan.config.n_classes // plan.labels_per_word}
        for name, depth in expected.items():
            if len(getattr(self, name)) != depth:
                raise ValueError(f"engine image: {name} has {len(getattr(self, name))} words, "
                                 f"the plan needs {depth}")
        if not self.table or any(not 0 <= v <= 255 for v in self.table):
            raise ValueError("engine image: the sigmoid table must hold 1 or more bytes")

    def with_batch(self, batch: int) -> EngineImage:
        """The same model for an engine of ``batch`` images: only the label tables' words
        change, when ``plan.labels_per_word`` does (the fields keep their order)."""
        old = self.plan
        plan = plan_engine(old.config, dataclasses.replace(old.params, batch=batch))
        labels, last_labels = self.labels, self.last_labels
        if plan.labels_per_word != old.labels_per_word:
            labels = _reflow(labels, old.params.lanes * old.label_bits, old.labels_per_word,
                             plan.labels_per_word)
            last_labels = _reflow(last_labels, old.config.last_weight_bits,
                                  old.labels_per_word, plan.labels_per_word)
        return dataclasses.replace(self, plan=plan, labels=labels, last_labels=last_labels)

    def sha256(self) -> str:
        """A digest of every memory's contents and the table bias (names the loaded model)."""
        import hashlib
        digest = hashlib.sha256()
        for name in ("weights", "thresholds", "labels", "last_weights", "last_labels", "table"):
            digest.update(name.encode() + b":" + ",".join(map(str, getattr(self, name))).encode())
        digest.update(f"bias:{self.table_bias}".encode())
        return digest.hexdigest()
