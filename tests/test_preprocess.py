"""MNIST-style preprocessing of drawings, and the augmentation's geometry."""

from __future__ import annotations

import numpy as np
import pytest

from pycore.augment import distort
from pycore.preprocess import BOX, resize, to_mnist


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    image = image.reshape(28, 28)
    total = image.sum()
    return (image.sum(1) @ np.arange(28)) / total, (image.sum(0) @ np.arange(28)) / total


def test_empty_drawing_gives_none():
    assert to_mnist(np.zeros((280, 280), np.uint8)) is None


@pytest.mark.parametrize("where", [(10, 10), (200, 30), (120, 220)])
@pytest.mark.parametrize("size", [12, 60, 240])
def test_any_size_and_position_is_fitted_to_20_pixels_and_centred(where, size):
    drawing = np.zeros((280, 280), np.uint8)
    top, left = where
    bottom, right = min(top + size, 280), min(left + size // 2, 280)
    drawing[top:bottom, left:right] = 255
    image = to_mnist(drawing).reshape(28, 28)
    rows, cols = np.flatnonzero(image.sum(1) > 0), np.flatnonzero(image.sum(0) > 0)
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(height, width) == BOX  # the longer side fills the 20-pixel box
    drawn = (bottom - top) / (right - left)
    assert height / width == pytest.approx(drawn, rel=0.15)  # aspect ratio kept
    com_y, com_x = _centre_of_mass(image)
    assert abs(com_y - 14) <= 0.5 and abs(com_x - 14) <= 0.5
    assert image.max() <= 1 and image.dtype == np.float32


def test_area_resize_keeps_mean_intensity_and_anti_aliases(rng):
    image = rng.random((97, 61))
    small = resize(image, 20, 13)
    assert small.shape == (20, 13)
    assert small.mean() == pytest.approx(image.mean(), rel=1e-12)
    edge = np.zeros((3, 3))
    edge[:, :1] = 1
    assert 0 < resize(edge, 2, 2)[0, 0] < 1  # a pixel half covered by ink is grey


def test_mnist_digits_survive_preprocessing(subset):
    """A held-out MNIST digit is already in MNIST form: preprocessing it again changes little."""
    images = subset.test.images()[:50]
    for image in images:
        again = to_mnist((image.reshape(28, 28) * 255).astype(np.uint8))
        assert np.abs(again - image).mean() < 0.08


def test_distortion_with_no_change_is_the_identity(rng):
    x = rng.random((5, 784)).astype(np.float32)
    np.testing.assert_allclose(distort(x, rng, rotation=0, shift=0, scale=0), x, atol=1e-6)


def test_distortion_keeps_shape_dtype_range_and_is_seeded(rng):
    x = rng.random((8, 784)).astype(np.float32)
    a = distort(x, np.random.default_rng(1), elastic=2.0)
    b = distort(x, np.random.default_rng(1), elastic=2.0)
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - x).mean() > 0.01


def test_a_pure_shift_moves_the_ink(rng):
    x = np.zeros((1, 784), np.float32)
    x[0, 14 * 28 + 14] = 1
    moved = distort(x, np.random.default_rng(0), rotation=0, shift=3, scale=0)
    assert moved.sum() == pytest.approx(1, abs=1e-5)  # bilinear spreading keeps the ink


def _ring(size: int, pen: int, canvas: int = 280) -> np.ndarray:
    """A '0' drawn as a ring of outer diameter ``size`` with a round pen ``pen`` px wide."""
    yy, xx = np.mgrid[:canvas, :canvas]
    r = np.hypot(yy - canvas / 2, xx - canvas / 2)
    radius = (size - pen) / 2
    return ((np.abs(r - radius) <= pen / 2) * 255).astype(np.uint8)


def _width_in_field(image: np.ndarray) -> float:
    from pycore.preprocess import stroke_width

    # Measure as the thresholds were measured on MNIST: at 10x, ink above 0.5.
    big = np.kron(image.reshape(28, 28), np.ones((10, 10)))
    return stroke_width(big > 0.5) / 10


@pytest.mark.parametrize(("size", "pen"), [(70, 20), (90, 32), (260, 6), (240, 8)])
def test_bold_small_and_faint_large_drawings_get_mnist_like_strokes(size, pen):
    from pycore.preprocess import THICK, THIN

    naive = pen * 20 / size  # the pen's width once the ring is scaled into the 20-pixel box
    assert not THIN <= naive <= THICK  # the drawing really is bold (or faint) to begin with
    width = _width_in_field(to_mnist(_ring(size, pen)))
    assert THIN * 0.8 <= width <= THICK * 1.15, (size, pen, naive, width)


def test_mnist_like_strokes_and_solid_shapes_are_left_alone(subset):
    from pycore.preprocess import even_strokes

    for pixels in subset.train.pixels[:50]:
        ink = pixels.reshape(28, 28) / 255
        rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        assert np.array_equal(even_strokes(crop), crop)
    block = np.ones((120, 60))
    assert np.array_equal(even_strokes(block), block)
