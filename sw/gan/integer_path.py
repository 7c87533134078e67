"""The PyTorch eval path of the binarized generator, computed through the folded integers.

Values are carried in float64 tensors: every product is an integer of magnitude < 2^16 and
every sum < 2^21, so they are exact, and any algorithm PyTorch picks for the convolution
(which may reassociate or use transforms) lands within far less than 0.5 of the integer;
``torch.round`` then restores the exact integer before each comparison or table lookup.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from bitspin.sw.gan.folding import FoldedLayer, FoldedModel

__all__ = ["integer_generate", "check_inputs"]


def check_inputs(z, y, config) -> tuple[np.ndarray, np.ndarray]:
    """Validate a request: z int8 [B, z_dim] in {-1,0,1}, y int64 [B] in 0..n_classes-1."""
    z = np.asarray(z)
    y = np.asarray(y)
    if z.ndim != 2 or z.shape[1] != config.z_dim:
        raise ValueError(f"z must have shape [count, {config.z_dim}], not {list(z.shape)}")
    if y.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape [{z.shape[0]}], not {list(y.shape)}")
    if not np.all(np.isin(z, (-1, 0, 1))):
        raise ValueError("z must be ternary: every value in {-1, 0, +1}")
    if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0
                   or y.max() >= config.n_classes):
        raise ValueError(f"labels must be integers in 0..{config.n_classes - 1}")
    return z.astype(np.int8), y.astype(np.int64)


def _compare(acc: torch.Tensor, layer: FoldedLayer, channel_dim: int) -> torch.Tensor:
    shape = [1] * acc.ndim
    shape[channel_dim] = -1
    tau = torch.from_numpy(layer.threshold.astype(np.float64)).to(acc.device).view(shape)
    flip = torch.from_numpy(layer.flip.astype(bool)).to(acc.device).view(shape)
    plus = torch.where(flip, acc <= tau, acc >= tau)
    return torch.where(plus, 1.0, -1.0).to(torch.float64)


def integer_generate(model: FoldedModel, z, y, device: str = "cpu") -> torch.Tensor:
    """uint8 images [B, side, side] for ternary z [B, z_dim] and labels y [B].

    ``device`` is where the tensors live (``"cuda"`` for the GPU reference); the result is
    returned on the CPU.
    """
    if isinstance(z, torch.Tensor):
        z = z.detach().cpu().numpy()
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    c = model.config
    z, y = check_inputs(z, y, c)
    def tensor(array):
        return torch.from_numpy(np.ascontiguousarray(array)).to(device)

    onehot = F.one_hot(tensor(y), c.n_classes).to(torch.float64)
    h = torch.cat([tensor(z).to(torch.float64), onehot.repeat(1, c.label_repeat)], dim=1)
    for layer in model.fc:
        acc = torch.round(h @ tensor(layer.weight.astype(np.float64)).T)
        h = _compare(acc, layer, 1)
    h = h.view(-1, c.conv_channels, c.base, c.base)
    args = dict(stride=c.stride, padding=c.padding, output_padding=c.output_padding)
    for layer in model.deconv:
        h = torch.cat([h, onehot[:, :, None, None].expand(-1, -1, *h.shape[-2:])], dim=1)
        acc = torch.round(F.conv_transpose2d(h, tensor(layer.weight.astype(np.float64)), **args))
        h = _compare(acc, layer, 1)
    h = torch.cat([h, onehot[:, :, None, None].expand(-1, -1, *h.shape[-2:])], dim=1)
    acc = torch.round(F.conv_transpose2d(h, tensor(model.last_weight.astype(np.float64)),
                                         **args)) + model.last_bias
    index = torch.clamp(acc - model.table_offset, 0, len(model.table) - 1).to(torch.int64)
    return tensor(model.table)[index[:, 0]].cpu()
