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

__all__ = ["EngineTarget", "ENGINE_CONFIGS", "engine_config"]


@dataclass(frozen=True)
class EngineTarget:
    """A model file and the engine parallelism it is built with."""

    model: Path
    params: EngineParams
    boards: tuple[str, ...]
    loadable: bool = True             # a load port: the host can load another model
    weights_in_spram: bool = False    # no initial contents: the host must load the weights


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
