"""The conditional discriminator: full precision (it is only needed for training)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["Discriminator"]


class Discriminator(nn.Module):
    """Image [B, 1, 28, 28] in [0, 1] and label [B] -> real/fake logit [B].

    The label enters twice: as constant planes with the image, and as a one-hot vector next to
    the flattened features (a per-class bias of the last layer). With ``projection=True`` it
    enters a third time, as a learned per-class vector whose inner product with the flattened
    features is added to the logit (projection discriminator), which scores how well the image
    matches the label.

    With ``aux_classifier=True`` (AC-GAN) it also holds a small label-blind classifier,
    :meth:`classify`: image -> class logits [B, n_classes]. It must not see the label (the main
    trunk does), or it would learn to copy it.

    Both are off by default here (the training recipe turns them on, see
    :class:`sw.gan.train.TrainOptions`); each draws its initialization after the trunk's, so the
    trunk starts the same either way.
    """

    def __init__(self, n_classes: int = 10, side: int = 28, width: int = 64,
                 aux_classifier: bool = False, projection: bool = False):
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
        # Projection conditioning (Miyato & Koyama 2018): logit += <embed(y), features>, so
        # that the match between image and label is scored per class, not only as a bias.
        self.embed = None
        if projection:
            self.embed = nn.Embedding(n_classes, feat)
            nn.init.normal_(self.embed.weight, 0.0, 0.02)

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
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2).flatten(1)
        logit = self.fc(torch.cat([h, onehot], dim=1)).squeeze(1)
        if self.embed is not None:
            logit = logit + (self.embed(y.long()) * h).sum(1)
        return logit
