"""The model file: a versioned ``.npz`` of NumPy arrays, the single input of golden and gateware.

Binarized model, ``format = "bitspin-bdcgan"``, ``version = 1``. Arrays (load with
``allow_pickle=False``):

========================  =======  ==========================================================
``metadata``              uint8    UTF-8 JSON object (below)
``fc{i}_weight``          uint8    ``np.packbits`` (big bit order) of ``w == +1`` for the ±1
                                   weights [out, in] in C order, i = 0 .. len(fc_widths)
                                   (the last one is the fc_out layer); bit 1 is +1, 0 is -1
``fc{i}_threshold``       int32    [out]
``fc{i}_flip``            uint8    [out]: 0 -> out = +1 iff acc >= threshold, 1 -> iff acc <= it
``deconv{j}_weight``      uint8    packed ±1 weights [in, out, k, k] (PyTorch ConvTranspose2d
                                   layout; ``in`` counts the label planes, which come last)
``deconv{j}_threshold``   int32    [out]
``deconv{j}_flip``        uint8    [out]
``last_weight``           int8     [in, 1, k, k], |w| <= 2^(last_weight_bits-1) - 1
``sigmoid_table``         uint8    pixel = table[clip(acc + last_bias - table_offset, 0, T-1)]
========================  =======  ==========================================================

Metadata keys: ``format``, ``version``, ``config`` (:class:`GanConfig` as a dict), ``last_bias``
(int), ``last_scale`` (float: the real value of one accumulator unit, informative),
``table_offset`` (int), ``training`` (seed, epochs, ...), ``metrics`` (quality numbers).

The float baseline generator is stored as ``format = "bitspin-gan-float"``: ``metadata`` plus
one float32 (or float16, widened to float32 on loading) array ``state/<name>`` per entry of the
PyTorch state dict.

Loading validates everything (names, dtypes, shapes, value ranges, version) and raises
ValueError with a message, so files from untrusted sources are safe to open.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from bitspin.hw.gan.architecture import GanConfig
from bitspin.sw.gan.folding import MAX_TABLE, FoldedLayer, FoldedModel

__all__ = ["FORMAT", "FLOAT_FORMAT", "VERSION", "save_model", "load_model",
           "save_float_checkpoint", "load_float_checkpoint", "read_metadata", "MAX_FILE_BYTES"]

FORMAT = "bitspin-bdcgan"
FLOAT_FORMAT = "bitspin-gan-float"
VERSION = 1
#: Refuse model files whose arrays would decompress to more than this (zip bombs).
MAX_FILE_BYTES = 256 << 20
_MAX_WIDTH = 1 << 16


def _json_array(obj: dict) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, sort_keys=True).encode("utf-8"), dtype=np.uint8)


def _pack(weight: np.ndarray) -> np.ndarray:
    return np.packbits((weight.reshape(-1) > 0).astype(np.uint8))


def save_model(model: FoldedModel, path, training: dict | None = None,
               metrics: dict | None = None) -> Path:
    """Write a binarized model file; returns its path."""
    path = Path(path)
    meta = {"format": FORMAT, "version": VERSION, "config": model.config.to_dict(),
            "last_bias": int(model.last_bias), "last_scale": float(model.last_scale),
            "table_offset": int(model.table_offset),
            "training": training if training is not None else model.metadata.get("training", {}),
            "metrics": metrics if metrics is not None else model.metadata.get("metrics", {})}
    arrays = {"metadata": _json_array(meta)}
    for prefix, layers in (("fc", model.fc), ("deconv", model.deconv)):
        for i, layer in enumerate(layers):
            arrays[f"{prefix}{i}_weight"] = _pack(layer.weight)
            arrays[f"{prefix}{i}_threshold"] = layer.threshold.astype(np.int32)
            arrays[f"{prefix}{i}_flip"] = layer.flip.astype(np.uint8)
    arrays["last_weight"] = model.last_weight.astype(np.int8)
    arrays["sigmoid_table"] = model.table.astype(np.uint8)
    with open(path, "wb") as f:       # a file object: numpy would otherwise append ".npz"
        np.savez_compressed(f, **arrays)
    return path


def _open(path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
            if total > MAX_FILE_BYTES:
                raise ValueError(f"arrays would take {total} bytes (limit {MAX_FILE_BYTES})")
            for info in archive.infolist():
                _check_declared_size(archive, info)
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as error:
        raise ValueError(f"{path}: not a valid model file ({error})") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as error:
        raise ValueError(f"{path}: not a valid model file (not a readable .npz: {error})") from None


def _check_declared_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """An array's header must not declare more bytes than its member holds: numpy allocates
    the declared shape before it reads, so a tiny file could ask for terabytes."""
    if not info.filename.endswith(".npy"):
        return
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        readers = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise ValueError(f"{info.filename}: .npy version {version} is not supported")
        shape, _, dtype = readers[version](member)
    declared = math.prod(shape) * dtype.itemsize
    if declared > info.file_size:
        raise ValueError(f"{info.filename} declares shape {shape} ({declared} bytes) but holds "
                         f"{info.file_size} bytes")


def _decode_metadata(arrays: dict, path) -> dict:
    raw = arrays.get("metadata")
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path}: missing or malformed 'metadata' array")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: metadata is not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: metadata must be a JSON object")
    return meta


def _metadata(arrays: dict, path, expected_format: str) -> dict:
    meta = _decode_metadata(arrays, path)
    if meta.get("format") != expected_format:
        raise ValueError(f"{path}: format is {meta.get('format')!r}, expected {expected_format!r}")
    if meta.get("version") != VERSION:
        raise ValueError(f"{path}: format version {meta.get('version')!r} is not supported "
                         f"(this code reads version {VERSION})")
    return meta


def read_metadata(path) -> dict:
    """The metadata JSON of a binarized or float model file (format checked, arrays not)."""
    meta = _decode_metadata(_open(path), path)
    if meta.get("format") not in (FORMAT, FLOAT_FORMAT):
        raise ValueError(f"{path}: not a bitspin GAN model file")
    return meta


def _array(arrays, name, dtype, shape, path) -> np.ndarray:
    if name not in arrays:
        raise ValueError(f"{path}: missing array {name!r}")
    a = arrays[name]
    if a.dtype != np.dtype(dtype):
        raise ValueError(f"{path}: array {name!r} has dtype {a.dtype}, expected {np.dtype(dtype)}")
    if a.shape != tuple(shape):
        raise ValueError(f"{path}: array {name!r} has shape {list(a.shape)}, expected {list(shape)}")
    return a


def _int(meta, key, path) -> int:
    value = meta.get(key)
    if type(value) is not int:
        raise ValueError(f"{path}: metadata {key!r} must be an integer")
    return value


def _layer(arrays, prefix, shape, fan_in, path) -> FoldedLayer:
    n_out = shape[0] if len(shape) == 2 else shape[1]
    bits = int(np.prod(shape))
    packed = _array(arrays, f"{prefix}_weight", np.uint8, ((bits + 7) // 8,), path)
    weight = np.unpackbits(packed, count=bits).reshape(shape).astype(np.int8) * 2 - 1
    tau = _array(arrays, f"{prefix}_threshold", np.int32, (n_out,), path)
    flip = _array(arrays, f"{prefix}_flip", np.uint8, (n_out,), path)
    if np.any(flip > 1):
        raise ValueError(f"{path}: {prefix}_flip must hold only 0 and 1")
    if np.any(np.abs(tau.astype(np.int64)) > fan_in + 1):
        raise ValueError(f"{path}: {prefix}_threshold outside the reachable range ±{fan_in + 1}")
    return FoldedLayer(weight.astype(np.int8), tau.copy(), flip.copy())


def _open_with_config(path, expected_format: str):
    """The arrays, the checked metadata and the architecture of a model file."""
    arrays = _open(path)
    meta = _metadata(arrays, path, expected_format)
    try:
        config = GanConfig.from_dict(meta.get("config"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None
    return arrays, meta, config


def load_model(path) -> FoldedModel:
    """Read and validate a binarized model file (see the module docstring for the format)."""
    arrays, meta, config = _open_with_config(path, FORMAT)
    widths_all = [config.fc_in, *config.fc_widths, config.fc_out]
    if max(widths_all + list(config.deconv_channels)) > _MAX_WIDTH:
        raise ValueError(f"{path}: layer widths above {_MAX_WIDTH} are not supported")
    expected = {"metadata", "last_weight", "sigmoid_table"}
    fc = []
    for i, (w_in, w_out) in enumerate(zip(widths_all[:-1], widths_all[1:])):
        fc.append(_layer(arrays, f"fc{i}", (w_out, w_in), w_in, path))
        expected |= {f"fc{i}_weight", f"fc{i}_threshold", f"fc{i}_flip"}
    k = config.kernel
    chans = [config.conv_channels, *config.deconv_channels]
    deconv = []
    for j, (c_in, c_out) in enumerate(zip(chans[:-1], chans[1:])):
        c_in += config.n_classes
        deconv.append(_layer(arrays, f"deconv{j}", (c_in, c_out, k, k), c_in * k * k, path))
        expected |= {f"deconv{j}_weight", f"deconv{j}_threshold", f"deconv{j}_flip"}
    extra = set(arrays) - expected
    if extra:
        raise ValueError(f"{path}: unexpected arrays {sorted(extra)}")
    last = _array(arrays, "last_weight", np.int8, (chans[-1] + config.n_classes, 1, k, k), path)
    if np.any(np.abs(last.astype(np.int16)) > config.last_weight_max):
        raise ValueError(f"{path}: last_weight exceeds {config.last_weight_bits}-bit range")
    table = arrays.get("sigmoid_table")
    if table is None or table.dtype != np.uint8 or table.ndim != 1 or not 1 <= len(table) <= MAX_TABLE:
        raise ValueError(f"{path}: sigmoid_table must be a uint8 vector of 1..{MAX_TABLE} entries")
    bias, offset = _int(meta, "last_bias", path), _int(meta, "table_offset", path)
    if abs(bias) > 1 << 30 or abs(offset) > 1 << 30:
        raise ValueError(f"{path}: last_bias / table_offset out of range")
    scale = meta.get("last_scale")
    if type(scale) not in (int, float):
        raise ValueError(f"{path}: metadata 'last_scale' must be a number")
    return FoldedModel(config, fc, deconv, last.copy(), bias, float(scale), table.copy(), offset,
                       metadata={"training": meta.get("training", {}),
                                 "metrics": meta.get("metrics", {})})


FLOAT_DTYPES = (np.float32, np.float16)


def save_float_checkpoint(generator, path, training: dict | None = None,
                          metrics: dict | None = None, dtype=np.float32) -> Path:
    """Write a float (or binarized, latent-weight) generator's state dict as ``dtype`` arrays
    (float32, or float16 for a file half the size; loading widens it to float32)."""
    if np.dtype(dtype) not in [np.dtype(d) for d in FLOAT_DTYPES]:
        raise ValueError(f"dtype must be float32 or float16, not {dtype!r}")
    path = Path(path)
    meta = {"format": FLOAT_FORMAT, "version": VERSION, "config": generator.config.to_dict(),
            "binary": bool(generator.binary), "training": training or {}, "metrics": metrics or {},
            "stored_dtype": np.dtype(dtype).name}
    arrays = {"metadata": _json_array(meta)}
    for name, tensor in generator.state_dict().items():
        arrays[f"state/{name}"] = tensor.detach().cpu().numpy().astype(dtype)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def load_float_checkpoint(path):
    """Read a checkpoint written by :func:`save_float_checkpoint`: a Generator in eval mode."""
    import torch

    from bitspin.sw.gan.generator import Generator
    arrays, meta, config = _open_with_config(path, FLOAT_FORMAT)
    g = Generator(config, binary=bool(meta.get("binary", False)))
    state = g.state_dict()
    names = {f"state/{n}" for n in state} | {"metadata"}
    if set(arrays) != names:
        raise ValueError(f"{path}: arrays do not match the generator "
                         f"(missing {sorted(names - set(arrays))[:5]}, "
                         f"unexpected {sorted(set(arrays) - names)[:5]})")
    new_state = {}
    for name, ref in state.items():
        a = arrays[f"state/{name}"]
        if a.shape != tuple(ref.shape) or a.dtype not in [np.dtype(d) for d in FLOAT_DTYPES] \
                or not np.all(np.isfinite(a)):
            raise ValueError(f"{path}: array state/{name} is malformed")
        new_state[name] = torch.from_numpy(a.astype(np.float32)).to(ref.dtype)
    g.load_state_dict(new_state)
    g.eval()
    g.metadata = {"training": meta.get("training", {}), "metrics": meta.get("metrics", {})}
    return g
