"""The model file: round trip, size, and clear errors for bad files."""

import json

import numpy as np
import pytest

from bitspin.sw.gan import DEFAULT_MODEL
from bitspin.hw.gan.architecture import PRESETS
from bitspin.sw.gan.export import load_model, read_metadata, save_model
from bitspin.sw.gan.folding import fold_generator
from bitspin.sw.gan.golden import GoldenGenerator
from tests.test_gan_golden import random_generator, random_inputs


@pytest.fixture
def model_file(tmp_path, rng):
    folded = fold_generator(random_generator(PRESETS["small"], rng))
    path = save_model(folded, tmp_path / "m.npz", training={"seed": 1}, metrics={"x": 0.5})
    return folded, path


def test_round_trip_is_exact(model_file, rng):
    folded, path = model_file
    loaded = load_model(path)
    assert loaded.config == folded.config
    for a, b in zip([*folded.fc, *folded.deconv], [*loaded.fc, *loaded.deconv]):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.threshold, b.threshold)
        np.testing.assert_array_equal(a.flip, b.flip)
    np.testing.assert_array_equal(folded.last_weight, loaded.last_weight)
    np.testing.assert_array_equal(folded.table, loaded.table)
    assert (folded.last_bias, folded.table_offset) == (loaded.last_bias, loaded.table_offset)
    assert loaded.metadata["training"] == {"seed": 1}
    z, y = random_inputs(rng, 50, folded.config)
    np.testing.assert_array_equal(GoldenGenerator(folded).generate(z, y),
                                  GoldenGenerator(loaded).generate(z, y))


def test_committed_model_is_small_and_documented():
    assert DEFAULT_MODEL.stat().st_size < 400_000
    meta = read_metadata(DEFAULT_MODEL)
    assert meta["format"] == "bitspin-bdcgan" and meta["version"] == 1
    assert meta["config"]["fc_widths"] == [600, 600, 600]
    assert "seed" in meta["training"] and "epochs" in meta["training"]


def rewrite(path, change):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def set_meta(key, value):
    def change(arrays):
        meta = json.loads(arrays["metadata"].tobytes())
        meta[key] = value
        arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    return change


BAD = {
    "missing array": lambda a: a.pop("fc1_threshold"),
    "wrong dtype": lambda a: a.__setitem__("fc0_threshold", a["fc0_threshold"].astype(np.int64)),
    "wrong shape": lambda a: a.__setitem__("fc0_flip", a["fc0_flip"][:-1]),
    "flip not 0/1": lambda a: a.__setitem__("fc0_flip", a["fc0_flip"] + 2),
    "threshold range": lambda a: a.__setitem__("fc0_threshold", a["fc0_threshold"] + 10**6),
    "last weight range": lambda a: a.__setitem__("last_weight", a["last_weight"] * 0 + 100),
    "extra array": lambda a: a.__setitem__("surprise", np.zeros(3)),
    "empty table": lambda a: a.__setitem__("sigmoid_table", np.zeros(0, np.uint8)),
    "bad json": lambda a: a.__setitem__("metadata", np.frombuffer(b"{nope", np.uint8)),
    "no metadata": lambda a: a.pop("metadata"),
    "version": set_meta("version", 2),
    "format": set_meta("format", "something-else"),
    "config key": set_meta("config", {"z_dim": 100, "bogus": 1}),
    "config type": set_meta("config", {"z_dim": "100"}),
    "bias type": set_meta("last_bias", 1.5),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_raise_value_error(model_file, name):
    _, path = model_file
    rewrite(path, BAD[name])
    with pytest.raises(ValueError):
        load_model(path)


def test_pickled_object_array_is_refused(model_file):
    _, path = model_file
    rewrite(path, lambda a: a.__setitem__("fc0_flip", np.array([{"evil": 1}], dtype=object)))
    with pytest.raises(ValueError):
        load_model(path)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04garbage"])
def test_garbage_raises_value_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        load_model(path)


def test_truncated_file_raises_value_error(model_file):
    _, path = model_file
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        load_model(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.npz")


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_float_checkpoint_round_trip(tmp_path, dtype):
    """float16 files halve the size; loading widens them to exactly the stored values."""
    import torch

    from bitspin.sw.gan.export import load_float_checkpoint, save_float_checkpoint
    from bitspin.sw.gan.generator import Generator
    torch.manual_seed(0)
    g = Generator(PRESETS["small"], binary=False)
    path = save_float_checkpoint(g, tmp_path / "f.npz", dtype=dtype)
    loaded = load_float_checkpoint(path)
    for name, tensor in g.state_dict().items():
        expected = tensor.numpy().astype(dtype).astype(np.float32)
        assert np.array_equal(loaded.state_dict()[name].numpy(), expected), name
    assert read_metadata(path)["stored_dtype"] == np.dtype(dtype).name
    with pytest.raises(ValueError, match="float32 or float16"):
        save_float_checkpoint(g, tmp_path / "g.npz", dtype=np.float64)


def test_committed_float_baseline_loads():
    from bitspin.sw.gan import DEFAULT_FLOAT_MODEL
    from bitspin.sw.gan.export import load_float_checkpoint
    g = load_float_checkpoint(DEFAULT_FLOAT_MODEL)
    assert not g.binary and g.config == load_model(DEFAULT_MODEL).config
    assert DEFAULT_FLOAT_MODEL.stat().st_size < 6 << 20
