"""Adversarial training of the conditional generator on the training digits (CPU).

BinaryNet-style for the binarized generator: latent real weights binarized in the forward pass,
straight-through gradients, Adam, latent weights clipped to [-1, 1] after each step. The
discriminator is full precision. Deterministic for a given seed and thread count: all
randomness comes from one seeded ``torch.Generator``, the data order is a seeded permutation,
and ``torch.use_deterministic_algorithms`` is on.

The default recipe (``TrainOptions()``) adds an AC-GAN classifier head (weight 1.0), a
projection-conditioned discriminator, and a linear decay of both learning rates to 0 over the
second half of the steps. The decay matters most for the binarized generator, whose ±1
weights otherwise go on changing sign until the last step: its conditional accuracy rose from
0.84 at a constant rate to 0.91-0.93 with the decay (sw/gan/models/README.md lists the runs).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field

from pathlib import Path

import torch
from torch.nn import functional as F

from bitspin.hw.gan.architecture import GanConfig
from bitspin.sw.gan.binary_layers import clip_latent_weights
from bitspin.sw.gan.data import load_digits
from bitspin.sw.gan.discriminator import Discriminator
from bitspin.sw.gan.generator import Generator

__all__ = ["TrainOptions", "train", "sample_latent", "calibrate_batchnorm"]


@dataclass
class TrainOptions:
    """Hyperparameters; the defaults are what the committed model was trained with."""

    config: GanConfig = field(default_factory=GanConfig)
    binary: bool = True
    epochs: int = 80
    seed: int = 0
    batch_size: int = 64
    lr_g: float | None = None        # None: 2e-3 binarized (latent weights), 2e-4 float
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    real_label: float = 0.9          # one-sided label smoothing for the discriminator
    threads: int = 1                 # 1: fastest on a shared 2-core machine, and reproducible
    max_steps: int | None = None     # stop early (smoke tests)
    calibration_batches: int = 40    # batches of 250 for the final batch-norm statistics
    aux_weight: float = 1.0          # AC-GAN: weight of the auxiliary classification loss
    #   (> 0: the discriminator gets a label-blind classifier head trained on real digits, and
    #   the generator is also pushed to make digits it classifies as the conditioning label)
    aux_on_fakes: bool = False       # the classifier head also learns from fakes (full AC-GAN)
    projection: bool = True          # projection-conditioned discriminator
    lr_decay_start: float = 0.5      # fraction of the steps after which both learning rates
    #   fall linearly to 0 at the last step (1.0: constant)
    ema_decay: float = 0.0           # > 0: the model is an exponential moving average of the
    #   generator's parameters (latent weights included) with this decay per step
    teacher: str | None = None       # a float checkpoint (``save_float_checkpoint``) to distil:
    #   the generator is also pulled towards the teacher's pixels for the same (z, y)
    distill_weight: float = 0.0      # weight of that pull (mean squared pixel error)

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, not {self.epochs}")
        if self.batch_size < 2:
            raise ValueError("batch_size must be >= 2 (batch norm needs a batch)")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight must be >= 0, not {self.aux_weight}")
        if not 0 <= self.lr_decay_start <= 1:
            raise ValueError(f"lr_decay_start must be in [0, 1], not {self.lr_decay_start}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), not {self.ema_decay}")
        if self.distill_weight < 0:
            raise ValueError(f"distill_weight must be >= 0, not {self.distill_weight}")
        if (self.distill_weight > 0) != (self.teacher is not None):
            raise ValueError("distillation needs both a teacher and a distill_weight > 0")


def sample_latent(count: int, config: GanConfig, gen: torch.Generator) -> torch.Tensor:
    """Ternary z (float {-1,0,1}) with the same quantization as :mod:`sw.gan.latent`."""
    z = torch.randn(count, config.z_dim, generator=gen)
    return torch.where(z.abs() < config.z_zero_threshold, 0.0, torch.where(z > 0, 1.0, -1.0))


@torch.no_grad()
def calibrate_batchnorm(g: Generator, gen: torch.Generator, batches: int = 40,
                        batch_size: int = 250) -> None:
    """Replace the running batch-norm statistics by exact averages over fresh samples.

    The exponential running averages of training follow the last few batches only; the folded
    thresholds deserve statistics of the final weights over many samples.
    """
    bns = [m for m in g.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None            # cumulative moving average
    g.train()
    c = g.config
    for _ in range(batches):
        y = torch.randint(0, c.n_classes, (batch_size,), generator=gen)
        g(sample_latent(batch_size, c, gen), y)
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    g.eval()


def train(options: TrainOptions, progress=None) -> tuple[Generator, dict]:
    """Train a generator; ``progress(step, total_steps, losses)`` is called after each step.

    Returns the generator (eval mode, batch norm calibrated) and training metadata.
    """
    saved = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    torch.set_num_threads(options.threads)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(options, progress)
    finally:   # leave the caller's process settings as they were
        torch.set_num_threads(saved[0])
        torch.use_deterministic_algorithms(saved[1])


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _load_teacher(path, config: GanConfig):
    """The float generator to distil, in eval mode, checked to have the student's shape (the
    label may be repeated a different number of times: the teacher builds its own input)."""
    from bitspin.sw.gan.export import load_float_checkpoint
    teacher = load_float_checkpoint(path)
    if teacher.binary:
        raise ValueError(f"{path}: the teacher must be a float checkpoint, not a binarized one")
    if dataclasses.replace(teacher.config, label_repeat=config.label_repeat) != config:
        raise ValueError(f"{path}: the teacher's shape differs from the generator's "
                         f"({teacher.config.to_dict()} against {config.to_dict()})")
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    return teacher


def _train(options: TrainOptions, progress) -> tuple[Generator, dict]:
    torch.manual_seed(options.seed)
    gen = torch.Generator().manual_seed(options.seed)
    digits = load_digits("train")
    x_all = torch.from_numpy(digits.as_float())
    y_all = torch.from_numpy(digits.labels)
    c = options.config
    g = Generator(c, binary=options.binary)
    aux = options.aux_weight > 0
    d = Discriminator(c.n_classes, c.image_side, aux_classifier=aux,
                      projection=options.projection)
    teacher = _load_teacher(options.teacher, c) if options.teacher is not None else None
    lr_g = options.lr_g if options.lr_g is not None else (2e-3 if options.binary else 2e-4)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr_g, betas=options.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=options.lr_d, betas=options.betas)
    steps_per_epoch = len(y_all) // options.batch_size      # drop the ragged last batch
    total = steps_per_epoch * options.epochs
    if options.max_steps is not None:
        total = min(total, options.max_steps)
    decay_from = options.lr_decay_start * total

    def lr_factor(done: int) -> float:   # for the step after ``done`` finished steps
        if done < decay_from:
            return 1.0
        return max(0.0, (total - done) / max(total - decay_from, 1.0))

    schedules = [torch.optim.lr_scheduler.LambdaLR(opt, lr_factor) for opt in (opt_g, opt_d)]
    ema = ({k: v.detach().clone() for k, v in g.named_parameters()}
           if options.ema_decay > 0 else None)
    start = time.perf_counter()
    step = 0
    losses = {"d": float("nan"), "g": float("nan")}
    g.train()
    d.train()
    while step < total:
        order = torch.randperm(len(y_all), generator=gen)
        for b in range(steps_per_epoch):
            if step >= total:
                break
            idx = order[b * options.batch_size:(b + 1) * options.batch_size]
            real, y = x_all[idx], y_all[idx]
            z = sample_latent(len(y), c, gen)
            fake = g(z, y)
            # Discriminator step: real -> real_label, fake -> 0.
            opt_d.zero_grad(set_to_none=True)
            logit_real = d(real, y)
            logit_fake = d(fake.detach(), y)
            loss_d = (F.binary_cross_entropy_with_logits(
                logit_real, torch.full_like(logit_real, options.real_label))
                + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake)))
            if aux:   # the classifier head learns from real digits (and fakes, if asked)
                loss_d = loss_d + options.aux_weight * F.cross_entropy(d.classify(real), y)
                if options.aux_on_fakes:
                    loss_d = loss_d + options.aux_weight * F.cross_entropy(
                        d.classify(fake.detach()), y)
            loss_d.backward()
            opt_d.step()
            # Generator step (non-saturating loss).
            opt_g.zero_grad(set_to_none=True)
            logit = d(fake, y)
            loss_g = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
            if aux:
                loss_g = loss_g + options.aux_weight * F.cross_entropy(d.classify(fake), y)
            if teacher is not None:
                with torch.no_grad():
                    target = teacher(z, y)
                loss_g = loss_g + options.distill_weight * F.mse_loss(fake, target)
            loss_g.backward()
            opt_g.step()
            clip_latent_weights(g)
            for schedule in schedules:
                schedule.step()
            if ema is not None:
                with torch.no_grad():
                    for k, v in g.named_parameters():
                        ema[k].lerp_(v, 1.0 - options.ema_decay)
            step += 1
            losses = {"d": loss_d.item(), "g": loss_g.item()}
            if progress is not None:
                progress(step, total, losses)
    if ema is not None:   # the averaged parameters; batch norm statistics follow them below
        with torch.no_grad():
            for k, v in g.named_parameters():
                v.copy_(ema[k])
    calibrate_batchnorm(g, gen, batches=options.calibration_batches)
    info = {
        "seed": options.seed, "epochs": options.epochs, "steps": step,
        "batch_size": options.batch_size, "lr_g": lr_g, "lr_d": options.lr_d,
        "binary": options.binary, "threads": options.threads,
        "aux_weight": options.aux_weight, "aux_on_fakes": options.aux_on_fakes,
        "projection": options.projection, "lr_decay_start": options.lr_decay_start,
        "ema_decay": options.ema_decay,
        "teacher": (None if teacher is None else
                    {"file": Path(options.teacher).name, "sha256": _sha256(options.teacher)}),
        "distill_weight": options.distill_weight,
        "train_seconds": round(time.perf_counter() - start, 1),
        "final_losses": losses, "torch": str(torch.__version__),
        "train_digits": int(len(y_all)),
    }
    return g, info
