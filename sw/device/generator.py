"""The GAN engine on a device, with the golden model's API: load a model, generate images."""

from __future__ import annotations

import time

import numpy as np

from bitspin.hw.device.register_map import GanStatusBits

from .device import split_words
from .errors import DeviceError, IdentityMismatch
from .jobs import JobTags

__all__ = ["Generator"]


class Generator:
    """Drives the GAN_* registers of a :class:`~sw.device.device.Device`.

    :meth:`load_model` writes a model file's integers into the engine (every memory and the
    table bias, through the load port) unless the device's GAN_MODEL_TAG already names that
    model; the tag is cleared before and set after a load, so an interrupted load is never
    taken for a loaded model. :meth:`generate` needs a model tag that is not 0, starts each
    image under a fresh job tag (:class:`~sw.device.jobs.JobTags`) and returns an image only
    after its header word proved it this image's.
    """

    def __init__(self, device):
        self.device = device
        self.jobs = JobTags(device, "GAN")
        self.info = device.core("gan")              # a GanIdentity
        self.config = self.info.config
        self.plan = self.info.plan()

    def load_model(self, model, progress=None) -> None:
        """Make the engine compute ``model`` (a FoldedModel or a model-file path)."""
        from bitspin.hw.gan.load_map import LoadTarget, image_writes
        from bitspin.sw.gan.engine_image import build_engine_image
        from bitspin.sw.gan.export import load_model
        if not hasattr(model, "fc"):
            model = load_model(model)
        if model.config != self.config:
            raise IdentityMismatch(
                f"the device's GAN engine was built for architecture {self.config.to_dict()}; "
                f"the model has {model.config.to_dict()}")
        image = build_engine_image(model, self.plan)
        from bitspin.hw.device.gan_block import model_tag
        tag = model_tag(image.sha256())
        if self.device.read("GAN_MODEL_TAG") == tag:
            return
        entries = self.info.table_entries
        if len(image.table) > entries:
            raise IdentityMismatch(f"the model's sigmoid table has {len(image.table)} entries; "
                                   f"the device holds {entries}")
        table = list(image.table) + [image.table[-1]] * (entries - len(image.table))
        import dataclasses
        image = dataclasses.replace(image, table=tuple(table))
        pieces_per_word = -(-self.info.load_bits // 32)
        by_target: dict = {}
        for target, address, word in image_writes(image):
            by_target.setdefault(target, []).append(word)
        total, done = sum(len(w) for w in by_target.values()), 0
        self._wait_idle(10.0)
        self.device.write("GAN_MODEL_TAG", 0)
        for target, words in by_target.items():
            self.device.write("GAN_LOAD_TARGET", target.value)
            self.device.write("GAN_LOAD_ADDR", 0)
            batch = max(1, 255 // pieces_per_word)
            for start in range(0, len(words), batch):
                pieces = [piece for w in words[start:start + batch]
                          for piece in split_words(w, pieces_per_word)]
                self.device.push("GAN_LOAD_DATA", pieces)
                done += len(words[start:start + batch])
                if progress:
                    progress(done, total)
            if target is not LoadTarget.TABLE_BIAS and \
                    self.device.read("GAN_LOAD_ADDR") != len(words):
                raise DeviceError(f"loading {target.name}: the device took "
                                  f"{self.device.read('GAN_LOAD_ADDR')} of {len(words)} words")
        self.device.write("GAN_MODEL_TAG", tag)

    def _wait_idle(self, timeout: float) -> None:
        self.device.wait_for("GAN_STATUS", GanStatusBits.BUSY, 0, timeout,
                             "the GAN engine is still busy")

    def generate(self, z, y, progress=None) -> np.ndarray:
        """uint8 images [count, side, side] for ternary z [count, z_dim] and labels y [count]."""
        from bitspin.sw.gan.engine_image import pack_latent
        from bitspin.sw.gan.integer_path import check_inputs
        z, y = check_inputs(z, y, self.config)
        if self.device.read("GAN_MODEL_TAG") == 0:
            raise DeviceError("no model is loaded on this device's GAN engine: "
                              "call load_model() first")
        side = self.config.image_side
        pixels = side * side
        words_per_image = -(-pixels // 4)
        z_words = self.device.registers["GAN_Z_VALUE"].count
        images = np.zeros((len(y), side, side), dtype=np.uint8)
        for k in range(len(y)):
            value, mask = pack_latent(z[k])
            self._wait_ready(10.0)
            self.device.write_all("GAN_Z_VALUE", split_words(value, z_words))
            self.device.write_all("GAN_Z_MASK", split_words(mask, z_words))
            self.device.write("GAN_LABEL", int(y[k]))
            tag = self.jobs.start("GAN_COMMAND", 1)
            words = self._pop_pixels(1 + words_per_image)
            self.jobs.verify(f"GAN image {k}")
            self.jobs.check_header(tag, words, f"GAN image {k}")
            raw = b"".join(w.to_bytes(4, "little") for w in words[1:])[:pixels]
            images[k] = np.frombuffer(raw, dtype=np.uint8).reshape(side, side)
            if progress:
                progress(k + 1)
        return images

    def _wait_ready(self, timeout: float) -> None:
        self.device.wait_for("GAN_STATUS", GanStatusBits.READY, GanStatusBits.READY, timeout,
                             "the GAN engine did not become ready (is the pixel FIFO full of "
                             "unread images?)")

    def _pop_pixels(self, count: int, timeout: float = 30.0) -> list[int]:
        words: list[int] = []
        deadline = time.monotonic() + timeout
        while len(words) < count:
            level = self.device.read("GAN_PIXEL_LEVEL")
            if level:
                words += self.device.pop("GAN_PIXEL_DATA", min(level, count - len(words)))
            elif time.monotonic() > deadline:
                raise DeviceError(f"the device sent {len(words)} of {count} pixel words")
            else:
                time.sleep(0.0005)
        return words
