"""Model files: one ``.npz`` with every parameter and a JSON record of what the network is.

The record (array ``__meta__``, UTF-8 JSON) holds the format version, layer sizes, activations,
loss, dtype, the training settings and the accuracy reached. Loading checks everything before
building anything, so a bad file raises :class:`ModelFileError` with a message for a person and
never leaves a half-loaded model. Files are read with ``allow_pickle=False``, always.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import __version__
from .activations import ACTIVATIONS
from .losses import LOSSES
from .network import Network
from .npzfile import FormatError, from_bytes, to_bytes

FORMAT = "pycore-model"
FORMAT_VERSION = 1
MAX_UNITS = 8192
MAX_PARAMETERS = 50_000_000


class ModelFileError(FormatError):
    """A model file that cannot be loaded; the message says why, in plain words."""


def to_bytes_model(
    net: Network, training: dict | None = None, metrics: dict | None = None
) -> bytes:
    """The model file's bytes: the same parameters always give the same bytes."""
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "sizes": net.sizes,
        "activations": net.activations,
        "loss": net.loss.name,
        "dtype": str(net.dtype),
        "training": training or {},
        "metrics": metrics or {},
        "pycore": __version__,
    }
    arrays = {"__meta__": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)}
    arrays.update(net.parameters())
    return to_bytes(arrays)


def save(
    net: Network, path: str | Path, training: dict | None = None, metrics: dict | None = None
) -> None:
    Path(path).write_bytes(to_bytes_model(net, training, metrics))


def _meta(arrays: dict[str, np.ndarray]) -> dict:
    raw = arrays.pop("__meta__", None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError("This is not a pycore model file: it has no model description.")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError("The model description inside the file is corrupt.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("This is not a pycore model file.")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError("The model file has no valid format version.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"The model file was written by a newer pycore (format {version}); this one reads "
            f"format {FORMAT_VERSION}. Update pycore to load it."
        )
    return meta


def _check_architecture(meta: dict) -> tuple[list[int], list[str], str, np.dtype]:
    sizes, acts, loss, dtype = (
        meta.get("sizes"),
        meta.get("activations"),
        meta.get("loss"),
        meta.get("dtype"),
    )
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_UNITS for n in sizes
        )
    ):
        raise ModelFileError(f"The model file has invalid layer sizes: {sizes!r}.")
    if sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True)) > MAX_PARAMETERS:
        raise ModelFileError("The model file describes a network too large to load.")
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1:
        raise ModelFileError("The model file does not give one activation per layer.")
    for name in acts:
        if name not in ACTIVATIONS:
            raise ModelFileError(f"The model file uses an unknown activation: {name!r}.")
    if loss not in LOSSES:
        raise ModelFileError(f"The model file uses an unknown loss: {loss!r}.")
    if dtype not in ("float32", "float64"):
        raise ModelFileError(f"The model file has an unsupported dtype: {dtype!r}.")
    return sizes, acts, loss, np.dtype(dtype)


def from_bytes_model(data: bytes | bytearray | memoryview) -> tuple[Network, dict]:
    """Build the network a model file describes; returns ``(network, meta)``.

    Raises:
        ModelFileError: the file is truncated, corrupt, hostile, inconsistent or too new.
    """
    try:
        arrays = from_bytes(data, what="model file")
    except ModelFileError:
        raise
    except FormatError as error:
        raise ModelFileError(str(error)) from None
    meta = _meta(arrays)
    sizes, acts, loss, dtype = _check_architecture(meta)
    expected = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        expected[f"layers.{i}.W"] = (n_out, n_in)
        expected[f"layers.{i}.b"] = (n_out,)
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing:
        raise ModelFileError(f"The model file lacks parameters: {', '.join(missing)}.")
    if extra:
        raise ModelFileError(f"The model file holds unexpected arrays: {', '.join(extra)}.")
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ModelFileError(
                f"{name} has shape {array.shape}, but the layer sizes need {shape}."
            )
        if array.dtype != dtype:
            raise ModelFileError(f"{name} is {array.dtype}, but the file declares {dtype}.")
        if not np.all(np.isfinite(array)):
            raise ModelFileError(f"{name} contains NaN or infinite values; the model is unusable.")
    try:
        net = Network.build(sizes, acts, loss, rng=np.random.default_rng(0), dtype=dtype)
    except ValueError as error:
        raise ModelFileError(f"The model file describes an invalid network: {error}.") from None
    net.set_parameters(arrays)
    return net, meta


def load(path: str | Path) -> tuple[Network, dict]:
    """Load a model file from disk; see :func:`from_bytes_model`."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ModelFileError(f"Cannot read {path}: {error.strerror or error}.") from None
    return from_bytes_model(data)
