"""The named GAN-engine configurations on the host: their model files and engine images.

The configurations themselves (parallelism, boards, memories) are a specification in
``bitspin.hw.gan.engine_targets``; this module adds what only the host can do: find the model
file, read its architecture and lay its integers out as the engine's memory image, which the
host then hands to the board builds and the virtual board.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bitspin.hw.gan.engine_targets import ENGINE_TARGETS, EngineTarget, engine_for_board, engine_target
from bitspin.hw.gan.image import EngineImage
from bitspin.hw.gan.plan import EngineParams

__all__ = ["EngineConfig", "ENGINE_CONFIGS", "engine_config", "engine_for_board",
           "engine_for_architecture", "engine_image", "float_model_for"]

MODELS = Path(__file__).resolve().parent / "models"


@dataclass(frozen=True)
class EngineConfig:
    """A named :class:`EngineTarget` with its model file on this host."""

    name: str
    target: EngineTarget

    @property
    def model(self) -> Path:
        return MODELS / self.target.model_file

    @property
    def params(self) -> EngineParams:
        return self.target.params

    @property
    def boards(self) -> tuple[str, ...]:
        return self.target.boards

    def with_batch(self, batch: int) -> "EngineConfig":
        """The same configuration computing ``batch`` images in lockstep (ValueError if the
        engine cannot)."""
        params = dataclasses.replace(self.params, batch=batch)
        return EngineConfig(self.name, dataclasses.replace(self.target, params=params))

    def architecture(self):
        """The model's GanConfig (from the file's metadata only)."""
        from bitspin.hw.gan.architecture import GanConfig
        from bitspin.sw.gan.export import read_metadata
        return GanConfig.from_dict(read_metadata(self.model)["config"])

    def engine_image(self, params: EngineParams | None = None) -> EngineImage:
        """The engine's memory contents for this model (with ``params``, default its own)."""
        from bitspin.sw.gan.engine_image import engine_image_for
        return engine_image_for(self.model, params or self.params)


ENGINE_CONFIGS = {name: EngineConfig(name, target) for name, target in ENGINE_TARGETS.items()}


def engine_config(name: str) -> EngineConfig:
    """The named configuration, or ValueError listing the names."""
    engine_target(name)
    return ENGINE_CONFIGS[name]


def engine_image(name: str, params: EngineParams | None = None) -> EngineImage:
    """The engine image of configuration ``name`` at ``params`` (default its own): what the
    board builds and the virtual board take from their caller."""
    return engine_config(name).engine_image(params)


def float_model_for(config: EngineConfig) -> Path | None:
    """The shipped float (not binarized) model of the configuration's architecture, if any:
    the float32 baseline of the benchmark."""
    from bitspin.hw.gan.architecture import GanConfig
    from bitspin.sw.gan import DEFAULT_FLOAT_MODEL
    from bitspin.sw.gan.export import read_metadata
    float_config = GanConfig.from_dict(read_metadata(DEFAULT_FLOAT_MODEL)["config"])
    return DEFAULT_FLOAT_MODEL if float_config == config.architecture() else None


def engine_for_architecture(config) -> str | None:
    """The name of the configuration whose model has architecture ``config`` (GanConfig), if
    any (reads only the model files' metadata)."""
    return next((name for name, c in ENGINE_CONFIGS.items() if c.architecture() == config),
                None)
