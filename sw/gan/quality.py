"""Offline image quality: a small digit classifier and three metrics (no Inception weights).

- **Conditional accuracy**: the share of generated digits the classifier labels as the label
  they were generated for.
- **Classifier-FID**: the Fréchet distance between Gaussians fitted to the classifier's
  penultimate features (``FEATURES``-dimensional) of generated and of held-out real digits. It is
  *not* comparable with Inception FID numbers from the literature.
- **1-NN accuracy** (the two-sample test used in the B-DCGAN paper): leave-one-out 1-nearest-
  neighbour classification of real vs generated in pixel space (L2 on [0, 1] pixels); 0.5 means
  indistinguishable, near 1.0 means easily told apart, well below 0.5 means memorized copies.

The classifier trains deterministically on the training split of :mod:`sw.gan.data` and is
cached as a small ``.npz`` (float32 state dict + JSON metadata).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from bitspin.sw.gan.data import load_digits

__all__ = ["Classifier", "train_classifier", "load_classifier", "save_classifier",
           "classifier_features", "conditional_accuracy", "frechet_distance", "one_nn_accuracy",
           "evaluate_images", "FEATURES", "CLASSIFIER_FORMAT"]

FEATURES = 64
CLASSIFIER_FORMAT = "bitspin-digit-classifier"


class Classifier(nn.Module):
    """Two conv layers and two FC layers; ``features`` is the penultimate (ReLU) layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2)
        self.fc1 = nn.Linear(16 * 7 * 7, FEATURES)
        self.fc2 = nn.Linear(FEATURES, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return F.relu(self.fc1(h.flatten(1)))

    def forward(self, x):
        return self.fc2(self.features(x))


def _as_input(images: np.ndarray) -> torch.Tensor:
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 [N, 28, 28], not {images.dtype} {list(images.shape)}")
    return torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]


def train_classifier(epochs: int = 8, seed: int = 0) -> tuple[Classifier, dict]:
    """Train on the training digits (random 1-pixel shifts); report held-out accuracy."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train = load_digits("train")
    x, y = _as_input(train.images), torch.from_numpy(train.labels)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        for b in range(0, len(y), 50):
            idx = order[b:b + 50]
            dx, dy = torch.randint(-1, 2, (2,), generator=gen).tolist()
            batch = torch.roll(x[idx], shifts=(dx, dy), dims=(2, 3))
            opt.zero_grad()
            F.cross_entropy(model(batch), y[idx]).backward()
            opt.step()
    model.eval()
    held = load_digits("held_out")
    accuracy = float((predict(model, held.images) == held.labels).mean())
    return model, {"seed": seed, "epochs": epochs, "held_out_accuracy": accuracy}


@torch.no_grad()
def predict(model: Classifier, images: np.ndarray) -> np.ndarray:
    """Predicted digit per uint8 image."""
    return model(_as_input(images)).argmax(1).numpy()


@torch.no_grad()
def classifier_features(model: Classifier, images: np.ndarray) -> np.ndarray:
    """Penultimate features, float64 [N, FEATURES]."""
    return model.features(_as_input(images)).double().numpy()


def save_classifier(model: Classifier, info: dict, path) -> Path:
    arrays = {f"state/{k}": v.numpy().astype(np.float32) for k, v in model.state_dict().items()}
    meta = {"format": CLASSIFIER_FORMAT, "version": 1, **info}
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return Path(path)


def load_classifier(path=None, train_if_missing: bool = True) -> tuple[Classifier, dict]:
    """The cached classifier (default: the committed one); trained on demand if absent."""
    from bitspin.sw.gan import DEFAULT_CLASSIFIER
    path = Path(path or DEFAULT_CLASSIFIER)
    if not path.is_file():
        if not train_if_missing:
            raise FileNotFoundError(f"classifier not found: {path}")
        return train_classifier()
    model = Classifier()
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(npz["metadata"].tobytes().decode())
            if meta.get("format") != CLASSIFIER_FORMAT:
                raise ValueError("wrong format")
            state = {k: torch.from_numpy(npz[f"state/{k}"].copy()) for k in model.state_dict()}
        model.load_state_dict(state)
    except Exception as error:   # any malformed file: one clear message
        raise ValueError(f"{path}: not a valid classifier file ({error})") from None
    model.eval()
    return model, meta


def conditional_accuracy(model: Classifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of images classified as their conditioning label."""
    return float((predict(model, images) == np.asarray(labels)).mean())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets a [N, d] and b [M, d]."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr sqrt(A B) = sum sqrt(eig(sqrt(A) B sqrt(A))): symmetric, so eigh is stable.
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def one_nn_accuracy(real: np.ndarray, fake: np.ndarray) -> float:
    """Leave-one-out 1-NN accuracy of telling real from generated (pixel space, L2)."""
    x = np.concatenate([real, fake]).reshape(len(real) + len(fake), -1).astype(np.float64) / 255
    is_real = np.r_[np.ones(len(real), bool), np.zeros(len(fake), bool)]
    sq = (x * x).sum(1)
    dist = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(dist, np.inf)
    return float((is_real[dist.argmin(1)] == is_real).mean())


def evaluate_images(model: Classifier, images: np.ndarray, labels: np.ndarray,
                    real: np.ndarray) -> dict:
    """All three metrics for generated images against real digits (uint8 [N, 28, 28])."""
    return {
        "conditional_accuracy": conditional_accuracy(model, images, labels),
        "classifier_fid": frechet_distance(classifier_features(model, images),
                                           classifier_features(model, real)),
        "one_nn_accuracy": one_nn_accuracy(real, images),
        "n_generated": int(len(images)), "n_real": int(len(real)),
    }
