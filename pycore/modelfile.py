"""Model files: one ``.npz`` with every parameter and a JSON record of what the network is.

The record (array ``__meta__``, UTF-8 JSON) holds the format version, the shape of one input
sample, the layers (each one's kind and sizes, as :meth:`Network.describe` gives them), the
loss, dtype, the training settings and the accuracy reached. Format 1, written before
convolutional layers existed, described a fully connected network by its ``sizes`` and
``activations`` instead; such files still load, as the same dense layers.

Loading checks everything before building anything, so a bad file raises
:class:`ModelFileError` with a message for a person and never leaves a half-loaded model.
Files are read with ``allow_pickle=False``, always.

The record is checked for size and nesting depth before ``json.loads`` sees it, and integers are
limited while parsing: the JSON parser recurses once per level of nesting, and in the page a
deep enough record would overflow the browser's stack and kill the Python runtime for good.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import numpy as np

from . import __version__
from .activations import ACTIVATIONS
from .conv import check_description, from_description, parameter_count
from .init import FROM_FILE
from .losses import LOSSES
from .network import Network
from .npzfile import FormatError, from_bytes, read_file, shorten, to_bytes

FORMAT = "pycore-model"
FORMAT_VERSION = 2
MAX_UNITS = 8192
"""Largest dense layer, channel count and input side a model file may describe."""
MAX_KERNEL = 32
"""Largest convolution kernel and pooling window a model file may describe."""
MAX_VALUES = 1 << 22
"""Most values one layer may compute per sample (its output, and a convolution's patches), so
that a file cannot describe small weights whose feature maps exhaust memory."""
MAX_LAYERS = 64
MAX_PARAMETERS = 50_000_000
MAX_PARAMETER_BYTES = 200 * 2**20
"""Largest total size of a model's weights and biases (a float64 model holds half as many)."""
MAX_RECORD_BYTES = 2**20
MAX_DEPTH = 32
MAX_INT_DIGITS = 18
DIGITS = (784, 10)
"""Input and output width of a network that reads 28x28 digits and scores the ten classes."""
DIGIT_SHAPES = ((784,), (1, 28, 28))
"""The input shapes of a digit network: a row of pixels (an MLP) or one 28x28 channel (a CNN)."""
_MAX_FILE_BYTES = MAX_PARAMETER_BYTES + MAX_RECORD_BYTES + 2**20


class ModelFileError(FormatError):
    """A model file that cannot be loaded; the message says why, in plain words."""


def to_bytes_model(
    net: Network, training: dict | None = None, metrics: dict | None = None
) -> bytes:
    """The model file's bytes: the same parameters always give the same bytes."""
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "input_shape": list(net.input_shape),
        "layers": net.describe(),
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
    """Write the model file; a failed write leaves any earlier file at ``path`` as it was."""
    path = Path(path)
    data = to_bytes_model(net, training, metrics)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+(")?|[\[{]|[\]}]', re.DOTALL)


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH``, counting brackets outside strings, no recursion."""
    depth = 0
    for token in _TOKENS.finditer(text):
        first = text[token.start()]
        if first == '"':
            if token.group(1) is None:
                raise ModelFileError("The model description inside the file is corrupt.")
        elif first in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ModelFileError(
                    f"The model description is nested more than {MAX_DEPTH} levels deep; refused."
                )
        else:
            depth -= 1


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise ModelFileError(
            f"The model description holds a number with {len(digits):,} digits; refused."
        )
    return int(digits)


def _meta(arrays: dict[str, np.ndarray]) -> dict:
    raw = arrays.pop("__meta__", None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError("This is not a pycore model file: it has no model description.")
    if raw.size > MAX_RECORD_BYTES:
        raise ModelFileError(
            f"The model description is {raw.size / 2**20:.1f} MB; at most "
            f"{MAX_RECORD_BYTES // 2**10} KB is read."
        )
    try:
        text = raw.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError("The model description inside the file is corrupt.") from None
    _check_depth(text)
    try:
        meta = json.loads(text, parse_int=_parse_int)
    except ModelFileError:
        raise
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise ModelFileError("The model description inside the file is corrupt.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("This is not a pycore model file.")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError("The model file has no valid format version.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"The model file was written by a newer pycore (format {version}); this one reads "
            f"format {FORMAT_VERSION}. Update pycore to load it."
        )
    for key in ("training", "metrics"):
        if not isinstance(meta.get(key, {}), dict):
            raise ModelFileError(f"The model file's {key!r} entry is not a table of values.")
    return meta


def check_size(sizes: list[int], dtype: str | np.dtype = "float32") -> None:
    """Refuse a network whose model file could not be loaded back (see ``MAX_PARAMETERS``).

    Call it before training, so that hours of work never end in a file that is then refused.

    Raises:
        ModelFileError: too many layers, units, parameters or bytes of parameters.
    """
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    check_count(count, len(sizes) - 1, dtype)


def check_count(count: int, layers: int, dtype: str | np.dtype = "float32") -> None:
    """Refuse ``layers`` layers holding ``count`` parameters that a model file could not hold.

    Raises:
        ModelFileError: too many layers, parameters or bytes of parameters.
    """
    if layers > MAX_LAYERS:
        raise ModelFileError(f"The network has {layers} layers; at most {MAX_LAYERS}.")
    nbytes = count * np.dtype(dtype).itemsize
    if count > MAX_PARAMETERS or nbytes > MAX_PARAMETER_BYTES:
        raise ModelFileError(
            f"The network has {count:,} parameters ({nbytes / 2**20:,.0f} MB): too large to load "
            f"as a model file (at most {MAX_PARAMETERS:,} parameters and "
            f"{MAX_PARAMETER_BYTES // 2**20} MB)."
        )


def check_fits(
    sizes: list[int], expect: tuple[int, int] = DIGITS, input_shape: tuple[int, ...] | None = None
) -> None:
    """Refuse a network whose input and output widths are not ``expect`` (digits: 784 and 10).

    ``sizes`` starts with the input width and ends with the output width. For digits, the input
    must also be shaped as one of :data:`DIGIT_SHAPES` (when ``input_shape`` is given).

    Raises:
        ModelFileError: the input or output width (or shape) differs, with what the file has.
    """
    n_in, n_out = expect
    if sizes[0] != n_in or sizes[-1] != n_out:
        raise ModelFileError(
            f"The model takes {sizes[0]} inputs and gives {sizes[-1]} outputs; a digit model "
            f"takes {n_in} (28x28 pixels) and gives {n_out} (one score per digit)."
        )
    if expect == DIGITS and input_shape is not None and tuple(input_shape) not in DIGIT_SHAPES:
        shape = "x".join(map(str, input_shape))
        raise ModelFileError(
            f"The model reads its input as {shape}; a digit model reads 784 pixels or one "
            "28x28 image (1x28x28)."
        )


def _check_architecture(meta: dict) -> tuple[list[int], list[str], str, np.dtype]:
    sizes, acts, loss, dtype = (
        meta.get("sizes"),
        meta.get("activations"),
        meta.get("loss"),
        meta.get("dtype"),
    )
    if isinstance(sizes, list) and len(sizes) - 1 > MAX_LAYERS:
        raise ModelFileError(
            f"The model file describes {len(sizes) - 1} layers; at most {MAX_LAYERS}."
        )
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_UNITS for n in sizes
        )
    ):
        raise ModelFileError(f"The model file has invalid layer sizes: {shorten(sizes)}.")
    if sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True)) > MAX_PARAMETERS:
        raise ModelFileError("The model file describes a network too large to load.")
    if not isinstance(dtype, str) or dtype not in ("float32", "float64"):
        raise ModelFileError(f"The model file has an unsupported dtype: {shorten(dtype)}.")
    check_size(sizes, dtype)
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1:
        raise ModelFileError("The model file does not give one activation per layer.")
    for name in acts:
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise ModelFileError(f"The model file uses an unknown activation: {shorten(name)}.")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ModelFileError(f"The model file uses an unknown loss: {shorten(loss)}.")
    return sizes, acts, loss, np.dtype(dtype)


def _check_dtype_loss(meta: dict) -> tuple[str, np.dtype]:
    loss, dtype = meta.get("loss"), meta.get("dtype")
    if not isinstance(dtype, str) or dtype not in ("float32", "float64"):
        raise ModelFileError(f"The model file has an unsupported dtype: {shorten(dtype)}.")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ModelFileError(f"The model file uses an unknown loss: {shorten(loss)}.")
    return loss, np.dtype(dtype)


def _is_count(n, high: int) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= high


_LIMITS = {"n_in": MAX_UNITS, "n_out": MAX_UNITS, "c_in": MAX_UNITS, "c_out": MAX_UNITS}


def _check_layers(meta: dict) -> tuple[list[dict], tuple[int, ...], str, np.dtype]:
    """The layer descriptions, input shape, loss and dtype of a format-2 record, all checked."""
    layers, shape = meta.get("layers"), meta.get("input_shape")
    if not isinstance(layers, list) or not layers:
        raise ModelFileError("The model file does not list its layers.")
    if len(layers) > MAX_LAYERS:
        raise ModelFileError(
            f"The model file describes {len(layers)} layers; at most {MAX_LAYERS}."
        )
    if (
        not isinstance(shape, list)
        or len(shape) not in (1, 3)
        or not all(_is_count(n, MAX_UNITS) for n in shape)
        or int(np.prod(shape, dtype=np.int64)) > MAX_VALUES
    ):
        raise ModelFileError(f"The model file has an invalid input shape: {shorten(shape)}.")
    count = 0
    for i, d in enumerate(layers):
        try:
            kind, args = check_description(d)
        except ValueError as error:
            raise ModelFileError(f"Layer {i} of the model file is invalid: {error}.") from None
        for name, value in args.items():
            high = _LIMITS.get(name, MAX_KERNEL)
            if name not in ("padding", "activation") and value > high:
                raise ModelFileError(
                    f"Layer {i} of the model file has {kind}.{name} = {value}; at most {high}."
                )
        count += parameter_count(kind, args)
    loss, dtype = _check_dtype_loss(meta)
    if count > MAX_PARAMETERS:
        raise ModelFileError("The model file describes a network too large to load.")
    check_count(count, len(layers), dtype)
    return layers, tuple(shape), loss, dtype


def _v1_layers(meta: dict) -> tuple[list[dict], tuple[int, ...], str, np.dtype]:
    """A format-1 record (``sizes`` and ``activations`` of dense layers) as format 2's fields."""
    sizes, acts, loss, dtype = _check_architecture(meta)
    layers = [
        {"kind": "dense", "n_in": a, "n_out": b, "activation": f}
        for a, b, f in zip(sizes[:-1], sizes[1:], acts, strict=True)
    ]
    return layers, (sizes[0],), loss, dtype


def _build(layers: list[dict], input_shape: tuple, loss: str, dtype: np.dtype) -> Network:
    """The network the checked descriptions describe, its shapes checked before any use."""
    try:
        built = [from_description(d, dtype.type, init=FROM_FILE) for d in layers]
        net = Network(built, loss, input_shape)
    except ValueError as error:
        raise ModelFileError(f"The model file describes an invalid network: {error}.") from None
    for layer, out in zip(net.layers, net.shapes[1:], strict=True):
        values = int(np.prod(out, dtype=np.int64))
        if getattr(layer, "kind", "") == "conv2d":
            values = max(values, int(np.prod(out[1:], dtype=np.int64)) * layer.W[0].size)
        if values > MAX_VALUES:
            raise ModelFileError(
                f"The model file describes a layer that computes {values:,} values per sample "
                f"({layer}); at most {MAX_VALUES:,}."
            )
    return net


def _check_outputs(net: Network) -> None:
    """Refuse weights so large that ordinary inputs (blank, full, scattered ink) overflow."""
    n_in = net.sizes[0]
    # Ink in [0, 1) spread evenly over the pixels (the golden-ratio sequence): like random ink,
    # without loading numpy.random at start-up.
    scattered = (np.arange(n_in) * 0.6180339887498949) % 1.0
    probe = np.vstack([np.zeros(n_in), np.ones(n_in), scattered])
    with np.errstate(all="ignore"):
        finite = np.all(np.isfinite(net.predict_proba(probe)))
    if not finite:
        raise ModelFileError(
            "The model's weights are so large that its outputs overflow to infinity or NaN; "
            "the model is unusable."
        )


def from_bytes_model(
    data: bytes | bytearray | memoryview, expect: tuple[int, int] | None = None
) -> tuple[Network, dict]:
    """Build the network a model file describes; returns ``(network, meta)``.

    With ``expect=(n_in, n_out)`` (``DIGITS`` for anything that reads drawings), a network of
    other input or output width is refused too.

    Raises:
        ModelFileError: the file is truncated, corrupt, hostile, inconsistent, too new, too
            large, does not fit ``expect``, or its outputs overflow.
    """
    try:
        arrays = from_bytes(data, what="model file", max_bytes=_MAX_FILE_BYTES)
    except ModelFileError:
        raise
    except FormatError as error:
        raise ModelFileError(str(error)) from None
    meta = _meta(arrays)
    if meta["version"] == 1:
        layers, input_shape, loss, dtype = _v1_layers(meta)
    else:
        layers, input_shape, loss, dtype = _check_layers(meta)
    net = _build(layers, input_shape, loss, dtype)
    if expect is not None:
        check_fits(net.sizes, expect, net.input_shape)
    expected = {name: p.shape for name, p in net.parameters().items()}
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing:
        raise ModelFileError(f"The model file lacks parameters: {', '.join(missing)}.")
    if extra:
        raise ModelFileError(
            f"The model file holds unexpected arrays: {shorten(', '.join(extra))}."
        )
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
    net.set_parameters(arrays)
    _check_outputs(net)
    return net, meta


def load(path: str | Path, expect: tuple[int, int] | None = None) -> tuple[Network, dict]:
    """Load a model file from disk; see :func:`from_bytes_model`.

    Only a regular file no larger than a model can be is read (see
    :func:`pycore.npzfile.read_file`); the error message does not repeat the path.
    """
    try:
        data = read_file(path, "model file", _MAX_FILE_BYTES)
    except ModelFileError:
        raise
    except FormatError as error:
        raise ModelFileError(str(error)) from None
    return from_bytes_model(data, expect)
