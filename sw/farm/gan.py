"""A GAN batch on the farm: the latent vectors and labels are drawn once from the seed and cut
into chunks, so ``farm gan --count N --seed S`` equals ``gan generate --count N --seed S`` on
any set of devices."""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np

from .cluster import Farm
from .dispatch import MAX_FAILURES, Task, run_tasks

__all__ = ["farm_gan", "gan_chunk", "default_chunk"]


def gan_chunk(url: str, model, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Images of one chunk on the device at ``url`` (loads the model unless it holds it)."""
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.device.generator import Generator
    with open_device(url) as device:
        generator = Generator(device)
        generator.load_model(model)
        return generator.generate(z, labels)


def default_chunk(count: int, devices: int) -> int:
    """About three chunks per device (a retry redoes little), at most 256 images each."""
    return max(1, min(256, -(-count // (3 * max(1, devices)))))


def farm_gan(farm: Farm, model, count: int, seed: int, labels: np.ndarray, *,
             chunk: int | None = None, on_chunk: Callable | None = None,
             max_failures: int = MAX_FAILURES) -> tuple[np.ndarray, dict]:
    """uint8 images [count, 28, 28] of ``model`` (a binarized FoldedModel) for ``labels``, with
    z from ``seed``, spread over the farm; and the report (``chunks`` with the device of each,
    ``devices``, ``retries``, ``device_stats``, ``taken_out``, ``elapsed_s``, ``images_sha256``).
    ``on_chunk(images_done, count)`` follows the batch."""
    from bitspin.sw.gan.backends import MAX_COUNT
    from bitspin.sw.gan.folding import FoldedModel
    from bitspin.sw.gan.latent import latent_from_seed
    if not isinstance(model, FoldedModel):
        raise ValueError("the farm runs the device backend, which needs a binarized model file, "
                         "not a float checkpoint")
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"--count must be in 1..{MAX_COUNT}, not {count}")
    if len(labels) != count:
        raise ValueError("one label per image is needed")
    chunk = chunk or default_chunk(count, len(farm.boards))
    if chunk < 1:
        raise ValueError(f"--chunk must be at least 1, not {chunk}")
    z = latent_from_seed(seed, count, model.config.z_dim, model.config.z_zero_threshold)
    shared = farm.client.scatter(model, broadcast=True)
    starts = list(range(0, count, chunk))
    tasks = [Task(f"gan-images{s}-{min(count, s + chunk)}", gan_chunk,
                  (shared, z[s:s + chunk], labels[s:s + chunk])) for s in starts]
    done = [0]

    def finished(index, outcome):
        done[0] += len(outcome.value)
        if on_chunk is not None:
            on_chunk(done[0], count)

    report = run_tasks(farm, tasks, max_failures=max_failures, on_done=finished)
    images = np.concatenate([o.value for o in report.outcomes]).astype(np.uint8)
    made = {}
    chunks = []
    for s, outcome in zip(starts, report.outcomes):
        chunks.append({"start": s, "count": len(outcome.value), "device": outcome.device})
        made[outcome.device] = made.get(outcome.device, 0) + len(outcome.value)
    stats = [{"device": url, "chunks": st["tasks"], "images": made.get(url, 0),
              "failures": st["failures"], "busy_s": st["busy_s"],
              "images_per_s": made.get(url, 0) / st["busy_s"] if st["busy_s"] else None}
             for url, st in sorted(report.device_stats.items())]
    return images, {"count": count, "seed": seed, "chunk": chunk, "chunks": chunks,
                    "images_sha256": hashlib.sha256(images.tobytes()).hexdigest(),
                    "devices": len(report.device_stats), "retries": report.retries,
                    "device_stats": stats, "taken_out": report.taken_out,
                    "elapsed_s": report.elapsed_s}
