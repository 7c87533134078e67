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

    With ``aux_classifier=True`` (AC-GAN) it also holds a small label-blind classifier,
    :meth:`classify`: image -> class logits [B, n_classes]. It must not see the label (the main
    trunk does), or it would learn to copy it. Off by default, so that the default training
    draws the same random initialization as before.
    """

    def __init__(self, n_classes: int = 10, side: int = 28, width: int = 64,
                 aux_classifier: bool = False):
        super().__init__()
        self.n_classes = n_classes
        self.conv1 = nn.Conv2d(1 + n_classes, width, 4, 2, 1)
        self.conv2 = nn.Conv2d(width, 2 * width, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(2 * width)
        feat = 2 * width * (side // 4) ** 2
        self.fc = nn.Linear(feat + n_classes, 1)
        self.aux = None
        if aux_classifier:
            half = width // 2
            self.aux = nn.Sequential(
                nn.Conv2d(1, half, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(half, width, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Flatten(), nn.Linear(width * (side // 4) ** 2, n_classes))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Image [B, 1, 28, 28] in [0, 1] -> class logits [B, n_classes] (AC-GAN head)."""
        if self.aux is None:
            raise RuntimeError("this discriminator has no auxiliary classifier")
        return self.aux(x * 2 - 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(y.long(), self.n_classes).to(x.dtype)
        planes = onehot[:, :, None, None].expand(-1, -1, *x.shape[-2:])
        h = torch.cat([x * 2 - 1, planes], dim=1)   # pixels centred on 0
        h = F.leaky_relu(self.conv1(h), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2)
        return self.fc(torch.cat([h.flatten(1), onehot], dim=1)).squeeze(1)
