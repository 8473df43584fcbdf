"""A visitor's own handwritten digits: the held-out split, the mix with MNIST, and the file format.

The page keeps "my digits" as 28x28 uint8 images (0 = background, 255 = ink; exactly what
:func:`pycore.preprocess.to_mnist` made of each drawing) with integer labels. This module

- splits them into digits to learn from and digits held out to test on, stratified by digit
  and chosen by a seed (:func:`holdout_split`), so that "did it generalise?" has an answer;
- mixes the digits to learn from with MNIST training digits (:func:`mix_with_mnist`), so that a
  fine-tune on thirty drawings does not make the network forget the other 8,000;
- writes and reads the collection in the same compact format as the bundled subset
  (:func:`collection_to_bytes`), so ``python -m pycore train --data my-digits.npz`` trains on it.

It knows nothing about the page or IndexedDB.
"""

from __future__ import annotations

import numpy as np

from .data import IMAGE_SIZE, N_CLASSES, Digits, Subset, subset_from_bytes, subset_to_bytes

HOLDOUT = 0.2
"""The share of each digit's samples held out for testing."""

MAX_MNIST_SHARE = 0.95


def as_pixels(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] (or already 0..255) as uint8 pixels, shape (N, 784)."""
    a = np.asarray(images)
    if a.dtype == np.uint8:
        return a.reshape(-1, IMAGE_SIZE)
    a = a.astype(np.float64).reshape(-1, IMAGE_SIZE)
    return np.clip(np.rint(a * 255), 0, 255).astype(np.uint8)


def check(pixels: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pixels`` as (N, 784) uint8 and ``labels`` as (N,) uint8, or a ValueError saying why not."""
    pixels = np.asarray(pixels)
    labels = np.asarray(labels).reshape(-1)
    if pixels.size != labels.size * IMAGE_SIZE:
        raise ValueError(
            f"{pixels.size} pixel values do not make {labels.size} images of 28x28 pixels"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= N_CLASSES):
        raise ValueError("every label must be a digit from 0 to 9")
    return as_pixels(pixels.reshape(labels.size, IMAGE_SIZE)), labels.astype(np.uint8)


def holdout_split(
    labels: np.ndarray, fraction: float = HOLDOUT, seed: int = 0, min_samples: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(learn, held_out)`` of a stratified split chosen by ``seed``.

    Each digit with at least ``min_samples`` samples (and at least two) gives
    ``max(1, round(n * fraction))`` of them to the held-out side and keeps at least one to learn
    from; a digit with fewer samples keeps them all. Both index arrays are sorted, so the
    collection's order is kept on each side.
    """
    if not 0 <= fraction < 1:
        raise ValueError("the held-out share must be at least 0 and below 1")
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng([int(seed), 3])
    held = []
    for digit in range(N_CLASSES):
        rows = np.flatnonzero(labels == digit)
        if rows.size < max(2, min_samples) or fraction == 0:
            continue
        count = min(rows.size - 1, max(1, round(rows.size * fraction)))
        held.extend(rng.permutation(rows)[:count].tolist())
    held_out = np.array(sorted(held), dtype=np.intp)
    learn = np.setdiff1d(np.arange(labels.size), held_out)
    return learn, held_out


def mix_with_mnist(
    own_x: np.ndarray,
    own_y: np.ndarray,
    mnist_x: np.ndarray,
    mnist_y: np.ndarray,
    mnist_share: float = 0.5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Own digits plus MNIST digits so that MNIST makes up ``mnist_share`` of the result.

    ``own_x``: (n, 784), ``mnist_x``: (M, 784), same dtype. The MNIST rows are drawn without
    replacement by ``seed``; the trainer shuffles the mix anyway. Returns ``(x, y, n_mnist)``.
    """
    if not 0 <= mnist_share <= MAX_MNIST_SHARE:
        raise ValueError(f"the MNIST share must be between 0 and {MAX_MNIST_SHARE}")
    n_own = len(own_y)
    if n_own == 0:
        raise ValueError("there are no digits of your own to learn from")
    n_mnist = min(len(mnist_y), round(n_own * mnist_share / (1 - mnist_share)))
    rows = np.random.default_rng([int(seed), 4]).choice(len(mnist_y), n_mnist, replace=False)
    x = np.concatenate([own_x, mnist_x[np.sort(rows)].astype(own_x.dtype)])
    y = np.concatenate([np.asarray(own_y), np.asarray(mnist_y)[np.sort(rows)]]).astype(np.uint8)
    return x, y, int(n_mnist)


def collection_to_bytes(
    pixels: np.ndarray, labels: np.ndarray, fraction: float = HOLDOUT, seed: int = 0
) -> bytes:
    """The collection as a digit file: learn split as ``train``, held-out split as ``test``."""
    pixels, labels = check(pixels, labels)
    learn, held = holdout_split(labels, fraction, seed)
    subset = Subset(Digits(pixels[learn], labels[learn]), Digits(pixels[held], labels[held]))
    return subset_to_bytes(subset)


def collection_from_bytes(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Every digit of a digit file (its train split, then its test split) as pixels and labels."""
    subset = subset_from_bytes(data)
    pixels = np.concatenate([subset.train.pixels, subset.test.pixels])
    labels = np.concatenate([subset.train.labels, subset.test.labels])
    return pixels, labels
