"""The engine's loadable memories: what the host writes to put a model into a built engine.

The single source for the gateware's load port and the host's model loader: a write is
(target, address, data); ``image_writes`` lists every write that reproduces an
:class:`~hw.gan.image.EngineImage`, in order.
"""

from __future__ import annotations

from amaranth.lib import enum

from bitspin.hw.gan.image import EngineImage

__all__ = ["LoadTarget", "image_writes", "TABLE_BIAS_BITS"]

#: Width of the table-bias register (two's complement).
TABLE_BIAS_BITS = 32


class LoadTarget(enum.Enum, shape=3):
    """Which memory (or register) a load-port write goes to."""
    WEIGHTS = 0
    THRESHOLDS = 1
    LABELS = 2
    LAST_WEIGHTS = 3
    LAST_LABELS = 4
    TABLE = 5
    TABLE_BIAS = 6          # the register last_bias − table_offset; address ignored


def image_writes(image: EngineImage) -> list[tuple[LoadTarget, int, int]]:
    """Every (target, address, word) that loads ``image`` into an engine built for its plan.

    The table is padded with its last entry to the built depth by the caller if shorter (the
    clip to the last entry makes that exact).
    """
    writes = []
    for target, words in ((LoadTarget.WEIGHTS, image.weights),
                          (LoadTarget.THRESHOLDS, image.thresholds),
                          (LoadTarget.LABELS, image.labels),
                          (LoadTarget.LAST_WEIGHTS, image.last_weights),
                          (LoadTarget.LAST_LABELS, image.last_labels),
                          (LoadTarget.TABLE, image.table)):
        writes.extend((target, address, int(word)) for address, word in enumerate(words))
    writes.append((LoadTarget.TABLE_BIAS, 0, image.table_bias & ((1 << TABLE_BIAS_BITS) - 1)))
    return writes
