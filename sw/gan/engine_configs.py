"""The named GAN-engine configurations: which model file, which parallelism, which boards.

One source for the tests, the board builds and the benchmark. ``ulx3s`` keeps every weight of the
paper-sized model in ECP5 block RAM; ``icebreaker`` runs the reduced ``small`` model (trained by
the same code, ``bitspin gan train --config small``) on the iCE40UP5K.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hw.gan.plan import EngineParams
from sw.gan import DEFAULT_MODEL, SMALL_MODEL

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

    def architecture(self):
        """The model's GanConfig (from the file's metadata only)."""
        from sw.gan.architecture import GanConfig
        from sw.gan.export import read_metadata
        return GanConfig.from_dict(read_metadata(self.model)["config"])

    def engine_image(self, params: EngineParams | None = None):
        """The engine's memory contents for this model (with ``params``, default its own)."""
        from sw.gan.engine_image import engine_image_for
        return engine_image_for(self.model, params or self.params)


ENGINE_CONFIGS = {
    "ulx3s": EngineTarget(DEFAULT_MODEL, EngineParams(lanes=16, chunk_bits=64),
                          ("ulx3s-85f",)),
    # 64 bits per clock: exactly four 16-bit SPRAMs side by side hold the binary weights.
    "icebreaker": EngineTarget(SMALL_MODEL, EngineParams(lanes=4, chunk_bits=16),
                               ("icebreaker",), weights_in_spram=True),
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
