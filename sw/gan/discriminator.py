"""The conditional discriminator: full precision (it is only needed for training)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["Discriminator"]


class Discriminator(nn.Module):
    """Image [B, 1, 28, 28] in [0, 1] and label [B] -> real/fake logit [B].

    The label enters twice: as constant planes with the image, and as a one-hot vector next to
    the flattened features (projection-style conditioning is then easy for the last layer).
    """

    def __init__(self, n_classes: int = 10, side: int = 28, width: int = 64):
        super().__init__()
        self.n_classes = n_classes
        self.conv1 = nn.Conv2d(1 + n_classes, width, 4, 2, 1)
        self.conv2 = nn.Conv2d(width, 2 * width, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(2 * width)
        feat = 2 * width * (side // 4) ** 2
        self.fc = nn.Linear(feat + n_classes, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(y.long(), self.n_classes).to(x.dtype)
        planes = onehot[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        h = torch.cat([x * 2 - 1, planes], dim=1)   # pixels centred on 0
        h = F.leaky_relu(self.conv1(h), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2)
        return self.fc(torch.cat([h.flatten(1), onehot], dim=1)).squeeze(1)
