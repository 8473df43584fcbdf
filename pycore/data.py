"""The bundled MNIST subset: 8,000 training and 2,000 held-out digits in one compact file.

The file is an ``.npz`` archive (see :mod:`pycore.npzfile`) of four uint8 arrays:
``train_x`` (8000, 784), ``train_y`` (8000,), ``test_x`` (2000, 784), ``test_y`` (2000,).
Pixels are the original MNIST bytes (0 = background, 255 = ink), rows are images flattened
row by row. Labels are integer classes everywhere in pycore; there is no one-hot storage.
The same loader runs in CPython and in the page, so both see the same split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .npzfile import FormatError, from_bytes, read_file, to_bytes

MAX_FILE_BYTES = 256 * 2**20
"""Largest digit file read from disk; its arrays unpack to at most 256 MB too (340,000 digits)."""
IMAGE_SIDE = 28
IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE
N_CLASSES = 10
SPLIT_SEED = 20261122
N_TRAIN = 8000


@dataclass(frozen=True)
class Digits:
    """Images and labels of one split.

    Shapes:
        pixels: (N, 784) uint8, 0..255
        labels: (N,) uint8, 0..9
    """

    pixels: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def images(self, dtype: type = np.float32) -> np.ndarray:
        """The pixels scaled to [0, 1], shape (N, 784)."""
        return self.pixels.astype(dtype) / dtype(255)


@dataclass(frozen=True)
class Subset:
    """The training and held-out splits of a digit file."""

    train: Digits
    test: Digits


def split(
    pixels: np.ndarray, labels: np.ndarray, n_train: int = N_TRAIN, seed: int = SPLIT_SEED
) -> Subset:
    """Shuffle with a fixed seed and cut into a training and a held-out split."""
    order = np.random.default_rng(seed).permutation(len(labels))
    pixels, labels = pixels[order], labels[order]
    return Subset(
        Digits(pixels[:n_train], labels[:n_train]), Digits(pixels[n_train:], labels[n_train:])
    )


def subset_to_bytes(subset: Subset) -> bytes:
    """Serialise a subset in the compact format; the bytes depend only on the data."""
    return to_bytes(
        {
            "train_x": subset.train.pixels.astype(np.uint8),
            "train_y": subset.train.labels.astype(np.uint8),
            "test_x": subset.test.pixels.astype(np.uint8),
            "test_y": subset.test.labels.astype(np.uint8),
        }
    )


def _checked(arrays: dict[str, np.ndarray], prefix: str) -> Digits:
    x, y = arrays.get(f"{prefix}_x"), arrays.get(f"{prefix}_y")
    if x is None or y is None:
        raise FormatError(f"The digit file has no '{prefix}' split.")
    if x.dtype != np.uint8 or y.dtype != np.uint8:
        raise FormatError(f"The '{prefix}' split must hold uint8 pixels and labels.")
    if x.ndim != 2 or x.shape[1] != IMAGE_SIZE or y.shape != (x.shape[0],):
        raise FormatError(
            f"The '{prefix}' split has shapes {x.shape} and {y.shape}; expected (N, 784) and (N,)."
        )
    if y.size and y.max() >= N_CLASSES:
        raise FormatError(f"The '{prefix}' split has a label above 9.")
    return Digits(x, y)


def subset_from_bytes(data: bytes | bytearray | memoryview) -> Subset:
    """Read a digit file, checking every array's dtype and shape."""
    arrays = from_bytes(data, what="digit file")
    return Subset(_checked(arrays, "train"), _checked(arrays, "test"))


def default_path() -> Path:
    """Where the built subset lives in a checkout (``dist/data/mnist-subset.npz``)."""
    return Path(__file__).resolve().parent.parent / "dist" / "data" / "mnist-subset.npz"


def load_subset(path: str | Path | None = None) -> Subset:
    """Load the subset from ``path`` (default: the built site's copy).

    Raises:
        FileNotFoundError: no ``path`` was given and the site has not been built.
        FormatError: ``path`` is missing, not a regular file, too large, or not a digit file;
            the message does not repeat the path.
    """
    if path is None:
        path = default_path()
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist; build it with `make data` (or `make site`)."
            )
    return subset_from_bytes(read_file(path, "digit file", MAX_FILE_BYTES))
