"""Read a digit image for the CLI (``predict``): a PNG (or JPEG, BMP, GIF) or a ``.npy`` array.

Pictures are decoded by Pillow, imported only here, when the command line reads one: pycore
itself depends on NumPy alone, because the same package runs in the page, where no imaging
library is loaded and no image file is ever read. Every size is checked before it is allocated:
the file (:func:`pycore.npzfile.read_file`), the width and height in the image header (at most
``MAX_SIDE`` on a side; Pillow's decompression-bomb warning is an error here), and a ``.npy``
header's shape. Whatever is wrong with a file ends in one :class:`~pycore.npzfile.FormatError`
sentence, never a traceback.

The result is ink as float32 in [0, 1], shape (H, W): dark ink on a light background is
inverted, so ink is always high, as in MNIST. (float32 keeps a 4096x4096 picture at 64 MB.)
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np

from .npzfile import FormatError, read_file, read_npy
from .preprocess import INK_THRESHOLD

MAX_SIDE = 4096
MAX_FILE_BYTES = 64 * 2**20
MAX_WORK_SIDE = 320
"""Side past which :func:`fit` averages an image down before MNIST-style preprocessing."""
FORMATS = ("PNG", "JPEG", "BMP", "GIF")


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise FormatError(
            "reading pictures needs Pillow (pip install 'pycore[cli]'); a .npy array works without."
        ) from None
    return Image


def ink(gray: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Ink in [0, 1] from gray levels and opacity in [0, 1], both (H, W).

    A transparent drawing is put on the background that contrasts with its ink; then the
    minority (by the median) is taken to be ink, since most drawings are dark on white and MNIST
    is light on black.
    """
    if alpha is not None and alpha.min() < 1:
        opaque = gray[alpha > 0.5]
        background = 1.0 if opaque.size and opaque.mean() < 0.5 else 0.0
        gray = gray * alpha + background * (1 - alpha)
    return 1 - gray if np.median(gray) > 0.5 else gray


def _picture(data: bytes) -> np.ndarray:
    Image = _pillow()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as picture:
                width, height = picture.size
                if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                    raise FormatError(
                        f"the image is {width}x{height} pixels; at most {MAX_SIDE}x{MAX_SIDE} "
                        "is read."
                    )
                picture.load()
                if picture.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                    # 16-bit gray: scale by hand, since a conversion to 8 bits would clip it.
                    top = 65535.0 if picture.mode != "F" else 1.0
                    values = np.asarray(picture, dtype=np.float32) / np.float32(top)
                    if not np.all(np.isfinite(values)):
                        raise FormatError("the image holds values that are not numbers.")
                    return ink(np.clip(values, 0.0, 1.0))
                la = np.asarray(picture.convert("LA"))
        except FormatError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FormatError(
                f"the image declares more pixels than {MAX_SIDE}x{MAX_SIDE}."
            ) from None
        except Image.UnidentifiedImageError:
            raise FormatError(
                f"this is not an image pycore reads ({', '.join(FORMATS)} or .npy)."
            ) from None
        except MemoryError:
            raise FormatError("the image is too large to decode.") from None
        except Exception as error:  # OSError, SyntaxError, zlib.error, ...: a broken file
            raise FormatError(
                f"the image is truncated or corrupt ({type(error).__name__})."
            ) from None
    scale = np.float32(1 / 255)
    return ink(la[..., 0] * scale, la[..., 1] * scale)


def _array(data: bytes) -> np.ndarray:
    image = read_npy(data, "image array", max_elements=MAX_SIDE * MAX_SIDE)
    if image.size == 0:
        raise FormatError("the image array is empty.")
    if image.size == 28 * 28:
        image = image.reshape(28, 28)
    if image.ndim != 2:
        raise FormatError(f"expected a 2-D image, got an array of shape {image.shape}.")
    if image.dtype.kind == "f" and not np.all(np.isfinite(image)):
        raise FormatError("the image array holds NaN or infinite values.")
    low, high = float(image.min()), float(image.max())
    if low < 0 or high > 255:
        raise FormatError(
            f"the image array's values run from {low:g} to {high:g}; pixels are 0..1 or 0..255."
        )
    image = image.astype(np.float32)
    return image / np.float32(255) if high > 1 else image


def image_from_bytes(data: bytes, npy: bool = False) -> np.ndarray:
    """Ink (H, W) float32 in [0, 1] of an image file's bytes (``npy``: a NumPy array file).

    A ``.npy`` array is used as it is (values in 0..1, or 0..255 scaled down), like a digit
    from the MNIST files; a picture is turned into ink (see :func:`ink`).

    Raises:
        FormatError: not an image pycore reads, broken, too large, or values that are not pixels.
    """
    if npy:
        return _array(data)
    return _picture(data)


def read_image(path: str | Path) -> np.ndarray:
    """Ink (H, W) float32 in [0, 1] of the image file at ``path``; see :func:`image_from_bytes`."""
    path = Path(path)
    data = read_file(path, "image", MAX_FILE_BYTES)
    return image_from_bytes(data, npy=path.suffix.lower() == ".npy")


def fit(image: np.ndarray, max_side: int = MAX_WORK_SIDE) -> np.ndarray:
    """``image`` cropped to its ink and averaged down by a whole factor to ``max_side`` at most.

    Preprocessing crops to the ink anyway; doing it first, and shrinking a crop larger than any
    drawing needs, keeps its time and memory small for a 4096x4096 picture.
    """
    mask = image > INK_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return image[:1, :1] * 0
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    factor = math.ceil(max(crop.shape) / max_side)
    if factor <= 1:
        return crop
    h, w = (math.ceil(n / factor) * factor for n in crop.shape)
    padded = np.zeros((h, w), dtype=crop.dtype)
    padded[: crop.shape[0], : crop.shape[1]] = crop
    return padded.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
