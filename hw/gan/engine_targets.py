"""The named GAN-engine configurations: which model, which parallelism, which boards, which memories.

A specification (pure data): the board builds, the virtual board and the host all read it. The
model is named by its file name under ``bitspin/sw/gan/models``; reading the file and laying out
the engine's memory image is host work (``bitspin.sw.gan.engine_configs``), handed to the
builders by their callers. ``ulx3s`` keeps every weight of the paper-sized model in ECP5 block
RAM; ``icebreaker`` runs the reduced ``small`` model on the iCE40UP5K.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import EngineParams

__all__ = ["EngineTarget", "ENGINE_TARGETS", "DEFAULT_ENGINE", "engine_target", "engine_for_board"]


@dataclass(frozen=True)
class EngineTarget:
    """A model (by file name) and the engine it is built into.

    Attributes
    ----------
    model_file : str
        The model file's name in the package's models folder.
    params : EngineParams
        The engine's parallelism (lanes × chunk bits × batch; a device top runs it at a batch
        of one).
    boards : tuple of str
        The boards this configuration is made for.
    loadable : bool
        The engine has a load port: the host can load another model of the same shape.
    weights_in_spram, thresholds_in_spram : bool
        Those memories are single-port RAMs without initial contents: the host must load them.
    """

    model_file: str
    params: EngineParams
    boards: tuple[str, ...]
    loadable: bool = True
    weights_in_spram: bool = False
    thresholds_in_spram: bool = False


ENGINE_TARGETS = {
    # Eight images share each weight read: the binary weights (171 of the 208 DP16KD) can
    # deliver only one 1024-bit word per clock.
    "ulx3s": EngineTarget("bdcgan_default.npz", EngineParams(lanes=16, chunk_bits=64, batch=8),
                          ("ulx3s-85f",)),
    # 16 bits per clock: the binary weights fill two SPRAMs (32 576 words of 16 bits) and the
    # thresholds (2 lanes × 13 bits) the other two. The device top and this engine then fit the
    # UP5K: 28 of 30 block RAMs, 5 236 of 5 280 logic cells. With the thresholds in block RAM
    # (13 blocks) the engine and the device top needed 40; at 2×16, 5 644 logic cells.
    "icebreaker": EngineTarget("bdcgan_small.npz", EngineParams(lanes=2, chunk_bits=8),
                               ("icebreaker",), weights_in_spram=True,
                               thresholds_in_spram=True),
}

#: The configuration of a board that has none of its own.
DEFAULT_ENGINE = "ulx3s"


def engine_target(name: str) -> EngineTarget:
    """The named configuration; ``ValueError`` listing the names if there is none."""
    try:
        return ENGINE_TARGETS[name]
    except KeyError:
        raise ValueError(f"unknown engine configuration {name!r}; "
                         f"choose from {', '.join(sorted(ENGINE_TARGETS))}") from None


def engine_for_board(board: str | None, default: str = DEFAULT_ENGINE) -> str:
    """The name of the configuration made for ``board``, else ``default``."""
    return next((name for name, t in ENGINE_TARGETS.items() if board in t.boards), default)
