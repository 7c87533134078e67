"""``generate`` on any backend: the same seed gives the same uint8 images everywhere.

- ``torch``: the PyTorch eval path (binarized model files: through the folded integers;
  float checkpoints: the float generator);
- ``golden``: the integer NumPy model (binarized model files only);
- ``cpu``: the bit-packed XNOR-popcount generator (binarized model files only; the CPU
  baseline, on ``threads`` numba threads);
- ``gpu``: the PyTorch path (as ``torch``) on a CUDA device;
- ``device``: the GAN engine on a real or virtual board (``--device``), through
  :class:`sw.device.generator.Generator`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bitspin.sw.gan.latent import latent_from_seed

__all__ = ["BACKENDS", "generate", "load_any", "torch_generate"]

BACKENDS = ("torch", "golden", "cpu", "gpu", "device")
MAX_COUNT = 1_000_000


def load_any(path):
    """A binarized FoldedModel or a float Generator, by the file's format field."""
    from bitspin.sw.gan.export import FLOAT_FORMAT, load_float_checkpoint, load_model, read_metadata
    if read_metadata(path)["format"] == FLOAT_FORMAT:
        return load_float_checkpoint(path)
    return load_model(path)


def _device(model, z, labels, url, progress, load_progress) -> np.ndarray:
    from bitspin.sw.device.connect import open_device
    from bitspin.sw.device.generator import Generator
    from bitspin.sw.gan.engine_configs import engine_for_architecture
    # For --device sim: the engine configuration made for this architecture.
    engine = engine_for_architecture(model.config)
    if url == "sim" and engine is None:
        raise ValueError("no GAN engine configuration exists for this model's architecture "
                         "(see sw.gan.engine_configs)")
    with open_device(url, gan_engine=engine) as device:
        generator = Generator(device)
        generator.load_model(model, progress=load_progress)
        return generator.generate(z, labels, progress=progress)


def generate(backend: str, model_path, count: int, seed: int, labels: np.ndarray,
             device_url: str | None = None, progress=None, load_progress=None,
             threads: int | None = None) -> np.ndarray:
    """uint8 images [count, 28, 28] for ``labels`` (int64 [count]) and z from ``seed``.

    ``progress(done)`` follows the images; ``load_progress(done, total)`` the model's words
    while the device backend loads them (skipped when the device already holds the model).
    ``threads``: the cpu backend's threads (None: every core).
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"--count must be in 1..{MAX_COUNT}, not {count}")
    if len(labels) != count:
        raise ValueError("one label per image is needed")
    from bitspin.sw.gan.folding import FoldedModel
    model = load_any(Path(model_path))
    config = model.config
    z = latent_from_seed(seed, count, config.z_dim, config.z_zero_threshold)
    if backend == "device":
        if not isinstance(model, FoldedModel):
            raise ValueError("the device backend needs a binarized model file, not a float "
                             "checkpoint")
        return _device(model, z, labels, device_url, progress, load_progress)
    if backend in ("golden", "cpu") and not isinstance(model, FoldedModel):
        raise ValueError(f"the {backend} backend needs a binarized model file, not a float "
                         "checkpoint")
    if backend == "golden":
        from bitspin.sw.gan.golden import GoldenGenerator
        return GoldenGenerator(model).generate(z, labels)
    if backend == "cpu":
        from bitspin.sw.gan.bitpacked import BitPackedGenerator
        generator, out = BitPackedGenerator(model), []
        for start in range(0, count, 4096):
            out.append(generator.generate(z[start:start + 4096], labels[start:start + 4096],
                                          threads=threads))
            if progress is not None:
                progress(start + len(out[-1]))
        return np.concatenate(out)
    import torch
    device = "cpu"
    if backend == "gpu":
        if not torch.cuda.is_available():
            raise ValueError("the gpu backend needs a CUDA device; this machine has none "
                             "(torch.cuda.is_available() is False)")
        device = "cuda"
    else:
        torch.set_num_threads(1)
    return torch_generate(model, z, labels, device)


def torch_generate(model, z: np.ndarray, labels: np.ndarray, device: str = "cpu",
                   batch: int = 500) -> np.ndarray:
    """uint8 images of a folded binarized model (through its integers, exact) or of a float
    :class:`~bitspin.sw.gan.generator.Generator`, with PyTorch on ``device``."""
    import torch

    from bitspin.sw.gan.folding import FoldedModel
    from bitspin.sw.gan.integer_path import check_inputs, integer_generate
    count = len(labels)
    if isinstance(model, FoldedModel):
        out = [integer_generate(model, z[i:i + batch], labels[i:i + batch], device=device)
               for i in range(0, count, batch)]
    else:
        z, labels = check_inputs(z, labels, model.config)
        model = model.to(device)
        with torch.no_grad():
            out = [model.generate(torch.from_numpy(z[i:i + batch]).to(device),
                                  torch.from_numpy(labels[i:i + batch]).to(device)).cpu()
                   for i in range(0, count, batch)]
    return torch.cat([torch.as_tensor(o).cpu() for o in out]).numpy()
