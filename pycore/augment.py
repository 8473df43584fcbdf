"""Small random distortions of digit images, so a network learns digits, not pixel positions.

Each image gets its own random rotation, scale and shift (an affine map) and, optionally, an
elastic distortion (a smooth random displacement field, as in Simard et al. 2003). Pixels are
resampled bilinearly with zeros outside. Everything is vectorised over the batch and draws from
the passed-in Generator only.

Shapes: images (N, 784) float in [0, 1]; the result has the same shape and dtype.
"""

from __future__ import annotations

import numpy as np

SIDE = 28
_CENTRE = (SIDE - 1) / 2


def _blur_matrix(sigma: float) -> np.ndarray:
    """A (28, 28) matrix that blurs along one axis with a Gaussian of ``sigma`` pixels."""
    offsets = np.arange(SIDE)[:, None] - np.arange(SIDE)[None, :]
    k = np.exp(-0.5 * (offsets / sigma) ** 2)
    return k / k.sum(axis=1, keepdims=True)


def sample_bilinear(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Read ``images`` (N, 28, 28) at fractional positions ``ys``, ``xs`` (N, P); zero outside."""
    n = images.shape[0]
    padded = np.zeros((n, SIDE + 2, SIDE + 2), dtype=images.dtype)
    padded[:, 1:-1, 1:-1] = images
    flat = padded.reshape(-1)
    y0, x0 = np.floor(ys), np.floor(xs)
    wy, wx = (ys - y0).astype(images.dtype), (xs - x0).astype(images.dtype)
    # Indices in the padded image, clipped to its zero border.
    y0 = np.clip(y0.astype(np.intp) + 1, 0, SIDE + 1)
    x0 = np.clip(x0.astype(np.intp) + 1, 0, SIDE + 1)
    y1, x1 = np.minimum(y0 + 1, SIDE + 1), np.minimum(x0 + 1, SIDE + 1)
    base = (np.arange(n) * (SIDE + 2) ** 2)[:, None]
    row0, row1 = base + y0 * (SIDE + 2), base + y1 * (SIDE + 2)
    top = flat[row0 + x0] * (1 - wx) + flat[row0 + x1] * wx
    bottom = flat[row1 + x0] * (1 - wx) + flat[row1 + x1] * wx
    return top * (1 - wy) + bottom * wy


def distort(
    images: np.ndarray,
    rng: np.random.Generator,
    rotation: float = 12.0,
    shift: float = 2.0,
    scale: float = 0.1,
    elastic: float = 0.0,
    sigma: float = 4.0,
) -> np.ndarray:
    """A randomly distorted copy of ``images`` (N, 784).

    Args:
        rotation: largest rotation, degrees either way.
        shift: largest shift, pixels in each direction.
        scale: largest relative change of size (0.1 = 90%..110%).
        elastic: strength of the elastic field in pixels (0 = none).
        sigma: smoothness of the elastic field, pixels.
    """
    n = images.shape[0]
    theta = np.deg2rad(rng.uniform(-rotation, rotation, n))[:, None]
    s = rng.uniform(1 - scale, 1 + scale, n)[:, None]
    ty, tx = rng.uniform(-shift, shift, (2, n, 1))
    grid_y, grid_x = np.divmod(np.arange(SIDE * SIDE), SIDE)
    dy, dx = grid_y[None, :] - _CENTRE - ty, grid_x[None, :] - _CENTRE - tx
    # Inverse map: each output pixel reads the source point that the transform moves onto it.
    cos, sin = np.cos(theta), np.sin(theta)
    ys = (cos * dy - sin * dx) / s + _CENTRE
    xs = (sin * dy + cos * dx) / s + _CENTRE
    if elastic > 0:
        blur = _blur_matrix(sigma)
        field = rng.uniform(-1, 1, (2, n, SIDE, SIDE))
        field = blur @ field @ blur.T
        field *= elastic / np.maximum(np.abs(field).max(axis=(2, 3), keepdims=True), 1e-8)
        ys = ys + field[0].reshape(n, -1)
        xs = xs + field[1].reshape(n, -1)
    out = sample_bilinear(images.reshape(n, SIDE, SIDE), ys, xs)
    return out.astype(images.dtype, copy=False)
