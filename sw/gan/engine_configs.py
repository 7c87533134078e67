"""The named GAN-engine configurations: which model file, which parallelism, which boards.

One source for the tests, the board builds and the benchmark. ``ulx3s`` keeps every weight of the
paper-sized model in ECP5 block RAM; ``icebreaker`` runs the reduced ``small`` model (trained by
the same code, ``bitspin gan train --config small``) on the iCE40UP5K.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bitspin.hw.gan.plan import EngineParams
from bitspin.sw.gan import DEFAULT_MODEL, SMALL_MODEL

__all__ = ["EngineTarget", "ENGINE_CONFIGS", "engine_config", "engine_for_board",
           "engine_for_architecture"]


@dataclass(frozen=True)
class EngineTarget:
    """A model file and the engine parallelism it is built with."""

    model: Path
    params: EngineParams
    boards: tuple[str, ...]
    loadable: bool = True             # a load port: the host can load another model
    weights_in_spram: bool = False    # no initial contents: the host must load the weights
    thresholds_in_spram: bool = False  # likewise the thresholds

    def architecture(self):
        """The model's GanConfig (from the file's metadata only)."""
        from bitspin.sw.gan.architecture import GanConfig
        from bitspin.sw.gan.export import read_metadata
        return GanConfig.from_dict(read_metadata(self.model)["config"])

    def engine_image(self, params: EngineParams | None = None):
        """The engine's memory contents for this model (with ``params``, default its own)."""
        from bitspin.sw.gan.engine_image import engine_image_for
        return engine_image_for(self.model, params or self.params)


ENGINE_CONFIGS = {
    "ulx3s": EngineTarget(DEFAULT_MODEL, EngineParams(lanes=16, chunk_bits=64),
                          ("ulx3s-85f",)),
    # 16 bits per clock: the binary weights fill two SPRAMs (32 576 words of 16 bits) and the
    # thresholds (2 lanes × 13 bits) the other two. The device top and this engine then fit the
    # UP5K: 27 of 30 block RAMs, ~5 100 of 5 280 logic cells. With the thresholds in block RAM
    # (13 blocks) the engine and the device top needed 40; at 2×16, 5 644 logic cells.
    "icebreaker": EngineTarget(SMALL_MODEL, EngineParams(lanes=2, chunk_bits=8),
                               ("icebreaker",), weights_in_spram=True,
                               thresholds_in_spram=True),
}


def engine_config(name: str) -> EngineTarget:
    """The named configuration, or ValueError listing the names."""
    try:
        return ENGINE_CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown engine configuration {name!r}; "
                         f"choose from {', '.join(sorted(ENGINE_CONFIGS))}") from None


def engine_for_board(board: str | None, default: str = "ulx3s") -> str:
    """The name of the configuration made for ``board``, else ``default``."""
    return next((name for name, t in ENGINE_CONFIGS.items() if board in t.boards), default)


def engine_for_architecture(config) -> str | None:
    """The name of the configuration whose model has architecture ``config`` (GanConfig), if
    any (reads only the model files' metadata)."""
    return next((name for name, t in ENGINE_CONFIGS.items() if t.architecture() == config),
                None)
