"""Turn a drawing into the kind of image the network was trained on, the way MNIST was made.

MNIST digits were cropped to their ink, scaled (keeping the aspect ratio, anti-aliased) to fit a
20x20 box, and placed in a 28x28 field so that their centre of mass sits at the centre. A drawing
that skips these steps is too big, too thin or off-centre, and a network trained on MNIST reads it
badly. The page and the CLI both call :func:`to_mnist`.

Shapes: a drawing is (H, W) with ink > 0 (uint8 0..255 or float 0..1); the result is (784,)
float32 in [0, 1], or ``None`` when there is no ink.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
BOX = 20
# Measured on the bundled training digits: their centre of mass lies at row 14.0, column 14.0.
CENTRE = 14.0
INK_THRESHOLD = 0.05
# Stroke width in pixels of the 28x28 field, measured (2 x area / perimeter of the ink above 0.5)
# on the training digits: 10% are thinner than 1.4, the median is 1.9, 10% are thicker than 2.7.
# A canvas pen has one width whatever the size of the digit, so a small digit comes out bold and
# a large one thin; strokes outside [THIN, THICK] are brought back to the nearer TARGET.
THIN, THICK = 1.2, 2.9
TARGET_THIN, TARGET_THICK = 1.6, 2.4


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights that resample a line of ``n_in`` pixels to ``n_out`` by area.

    Each output pixel averages the stretch of input it covers, which is what anti-aliased
    downscaling means; it is exact for any ratio and needs no library.
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return overlap / (n_in / n_out)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample ``image`` (h, w) to (height, width) by area averaging."""
    rows = _area_matrix(image.shape[0], height)
    cols = _area_matrix(image.shape[1], width)
    return rows @ image @ cols.T


def normalise(drawing: np.ndarray) -> np.ndarray:
    """The drawing as float64 ink in [0, 1]."""
    ink = np.asarray(drawing)
    if ink.ndim != 2:
        raise ValueError(f"a drawing must be a 2-D image, not shape {ink.shape}")
    if ink.dtype == np.uint8 or (ink.size and float(ink.max()) > 1.0):
        ink = ink.astype(np.float64) / 255.0
    return np.clip(ink.astype(np.float64), 0.0, 1.0)


def stroke_width(mask: np.ndarray) -> float:
    """Mean width of the strokes of a binary image: 2 x area / perimeter (0 when empty).

    A strip of width w and length L has area wL and perimeter about 2L.
    """
    area = int(mask.sum())
    edges = int((mask[1:] != mask[:-1]).sum() + (mask[:, 1:] != mask[:, :-1]).sum())
    edges += int(mask[0].sum() + mask[-1].sum() + mask[:, 0].sum() + mask[:, -1].sum())
    return 2 * area / edges if edges else 0.0


def _sweep(ink: np.ndarray, radius: int, op) -> np.ndarray:
    """Min (erode) or max (dilate) over a (2r+1) square around each pixel, zero outside."""
    padded = np.pad(ink, radius)
    n = 2 * radius + 1
    rows = op.reduce([padded[i : i + padded.shape[0] - n + 1] for i in range(n)])
    return op.reduce([rows[:, j : j + rows.shape[1] - n + 1] for j in range(n)])


def even_strokes(crop: np.ndarray) -> np.ndarray:
    """Thin a bold drawing or thicken a faint one so its strokes end up MNIST-like once scaled.

    ``crop`` is ink in [0, 1] cropped to its bounding box; the result is cropped again.
    """
    if max(crop.shape) <= 2 * BOX:
        return crop  # already at MNIST's scale (a scan, not a canvas): its strokes are its own
    scale = BOX / max(crop.shape)
    drawn = stroke_width(crop > 0.5)
    if drawn > 0.45 * min(crop.shape):
        return crop  # a solid blob or a single bar, not strokes: leave its shape alone
    width = drawn * scale  # in pixels of the 28x28 field
    if width > THICK:
        radius = int(round((width - TARGET_THICK) / scale / 2))
        # Never erase a stroke: keep at least a third of its width.
        radius = min(radius, int(width / scale / 3))
        if radius >= 1:
            crop = _sweep(crop, radius, np.minimum)
    elif 0 < width < THIN:
        radius = int(round((TARGET_THIN - width) / scale / 2))
        if radius >= 1:
            crop = _sweep(crop, radius, np.maximum)
    mask = crop > INK_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return crop
    return crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def to_mnist(drawing: np.ndarray) -> np.ndarray | None:
    """Crop, fit into 20x20 keeping the aspect ratio, and centre by mass in 28x28.

    >>> square = np.zeros((280, 280), np.uint8); square[100:180, 120:160] = 255
    >>> image = to_mnist(square).reshape(28, 28)
    >>> [int(n) for n in np.nonzero(image.sum(axis=1))[0][[0, -1]]], round(float(image.max()), 3)
    ([4, 23], 1.0)
    """
    ink = normalise(drawing)
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return None
    crop = even_strokes(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    h, w = crop.shape
    scale = BOX / max(h, w)
    height, width = max(1, round(h * scale)), max(1, round(w * scale))
    box = np.clip(resize(crop, height, width), 0.0, 1.0)
    mass = box.sum()
    com_y = (box.sum(axis=1) @ np.arange(height)) / mass
    com_x = (box.sum(axis=0) @ np.arange(width)) / mass
    # Whole-pixel shift, as MNIST did; clipped so the box never leaves the field.
    top = int(np.clip(round(CENTRE - com_y), 0, SIDE - height))
    left = int(np.clip(round(CENTRE - com_x), 0, SIDE - width))
    field = np.zeros((SIDE, SIDE))
    field[top : top + height, left : left + width] = box
    return field.reshape(-1).astype(np.float32)
