"""The digit subset format: deterministic bytes, checked loading, a fixed split."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import FormatError, data
from pycore.npzfile import to_bytes


def _fake(rng, n=50):
    return rng.integers(0, 256, (n, 784)).astype(np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def test_split_is_fixed_and_the_bytes_repeat(rng):
    pixels, labels = _fake(rng)
    a = data.subset_to_bytes(data.split(pixels, labels, n_train=40))
    b = data.subset_to_bytes(data.split(pixels, labels, n_train=40))
    assert a == b
    loaded = data.subset_from_bytes(a)
    assert len(loaded.train) == 40 and len(loaded.test) == 10
    together = np.concatenate([loaded.train.pixels, loaded.test.pixels])
    assert sorted(map(bytes, together)) == sorted(map(bytes, pixels))  # a permutation, nothing lost


def test_images_are_scaled_to_unit_range(rng):
    pixels, labels = _fake(rng)
    digits = data.Digits(pixels, labels)
    images = digits.images()
    assert images.dtype == np.float32 and images.max() <= 1 and images.min() >= 0
    np.testing.assert_array_equal(np.rint(images * 255).astype(np.uint8), pixels)


@pytest.mark.parametrize(
    "arrays",
    [
        {"train_x": np.zeros((2, 784), np.uint8)},
        {
            "train_x": np.zeros((2, 783), np.uint8),
            "train_y": np.zeros(2, np.uint8),
            "test_x": np.zeros((1, 784), np.uint8),
            "test_y": np.zeros(1, np.uint8),
        },
        {
            "train_x": np.zeros((2, 784), np.float32),
            "train_y": np.zeros(2, np.uint8),
            "test_x": np.zeros((1, 784), np.uint8),
            "test_y": np.zeros(1, np.uint8),
        },
        {
            "train_x": np.zeros((2, 784), np.uint8),
            "train_y": np.full(2, 12, np.uint8),
            "test_x": np.zeros((1, 784), np.uint8),
            "test_y": np.zeros(1, np.uint8),
        },
    ],
)
def test_malformed_digit_files_are_refused(arrays):
    with pytest.raises(FormatError):
        data.subset_from_bytes(to_bytes(arrays))


def test_bundled_subset_has_8000_and_2000_digits_of_every_class(subset):
    assert len(subset.train) == 8000 and len(subset.test) == 2000
    assert set(np.unique(subset.train.labels)) == set(range(10))
    assert set(np.unique(subset.test.labels)) == set(range(10))
    # MNIST digits are white ink on black: most pixels are background.
    assert np.median(subset.train.pixels) == 0 and subset.train.pixels.max() == 255
