"""Small random distortions of digit images, so a network learns digits, not pixel positions.

Each image gets its own random rotation, scale and shift (an affine map) and, optionally, a
slant (a horizontal shear, as handwriting leans), an elastic distortion (a smooth random
displacement field, as in Simard et al. 2003, scaled so that its largest displacement is
``elastic`` pixels) and a change of pen width (:func:`pen_width`). Pixels are resampled
bilinearly with zeros outside. Everything is vectorised over the batch and draws from
the passed-in Generator only.

Shapes: images (N, 784) float in [0, 1]; the result has the same shape and dtype.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SIDE = 28
_CENTRE = (SIDE - 1) / 2


def _blur_matrix(sigma: float) -> np.ndarray:
    """A (28, 28) matrix that blurs along one axis with a Gaussian of ``sigma`` pixels."""
    offsets = np.arange(SIDE)[:, None] - np.arange(SIDE)[None, :]
    k = np.exp(-0.5 * (offsets / sigma) ** 2)
    return k / k.sum(axis=1, keepdims=True)


@lru_cache(maxsize=8)
def _smooth_basis(sigma: float, rank: int = 10) -> np.ndarray:
    """``A`` (28, rank) such that ``A G A^T``, for a (rank, rank) white-noise ``G``, is a
    (28, 28) white-noise field blurred by a Gaussian of ``sigma`` (rows, then columns).

    Blurring white noise ``F`` gives ``B F B^T``; with ``B = U S V^T`` that is
    ``(U S) (V^T F V) (U S)^T``, and ``V^T F V`` is white noise again (a rotation of Gaussian
    noise). A smooth blur has few large singular values (for ``sigma`` 4 the 10th is 0.14% of
    the first), so ``rank`` of them draw the same fields from 100 random numbers instead of 784.
    """
    u, singular, _ = np.linalg.svd(_blur_matrix(sigma))
    return u[:, :rank] * singular[:rank]


def sample_bilinear(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Read ``images`` (N, 28, 28) at fractional positions ``ys``, ``xs`` (N, P); zero outside."""
    n = images.shape[0]
    # One row and column of zeros before the image, two after: every position clipped to
    # [-1, 28] then has all four neighbours inside the padded image, and those outside read 0.
    side = SIDE + 3
    padded = np.zeros((n, side, side), dtype=images.dtype)
    padded[:, 1 : SIDE + 1, 1 : SIDE + 1] = images
    flat = padded.reshape(-1)
    ys = np.clip(ys, -1, SIDE) + 1
    xs = np.clip(xs, -1, SIDE) + 1
    y0, x0 = np.floor(ys), np.floor(xs)
    wy, wx = (ys - y0).astype(images.dtype), (xs - x0).astype(images.dtype)
    i00 = (np.arange(n) * side * side)[:, None] + y0.astype(np.intp) * side + x0.astype(np.intp)
    top, top_right = flat.take(i00), flat.take(i00 + 1)
    bottom, bottom_right = flat.take(i00 + side), flat.take(i00 + side + 1)
    top += wx * (top_right - top)
    bottom += wx * (bottom_right - bottom)
    return top + wy * (bottom - top)


def distort(
    images: np.ndarray,
    rng: np.random.Generator,
    rotation: float = 12.0,
    shift: float = 2.0,
    scale: float = 0.1,
    elastic: float = 0.0,
    sigma: float = 4.0,
    shear: float = 0.0,
    thickness: float = 0.0,
) -> np.ndarray:
    """A randomly distorted copy of ``images`` (N, 784).

    Args:
        rotation: largest rotation, degrees either way.
        shift: largest shift, pixels in each direction.
        scale: largest relative change of size (0.1 = 90%..110%).
        elastic: strength of the elastic field: its largest displacement, pixels (0 = none).
        sigma: smoothness of the elastic field, pixels.
        shear: largest slant, as horizontal pixels per pixel of height, either way (0 = none).
        thickness: the share of images whose pen is made thicker or thinner (0 = none).

    A setting of 0 draws no random numbers, so adding a new kind of distortion leaves the
    random stream of the others (and so earlier runs) as it was.
    """
    n = images.shape[0]
    theta = np.deg2rad(rng.uniform(-rotation, rotation, n))[:, None]
    s = rng.uniform(1 - scale, 1 + scale, n)[:, None]
    ty, tx = rng.uniform(-shift, shift, (2, n, 1))
    # Positions in float32: exact enough on a 28-pixel grid, and half the memory traffic.
    grid_y, grid_x = np.divmod(np.arange(SIDE * SIDE, dtype=np.float32), SIDE)
    dy = (grid_y - _CENTRE)[None, :] - ty.astype(np.float32)
    dx = (grid_x - _CENTRE)[None, :] - tx.astype(np.float32)
    # Inverse map: each output pixel reads the source point that the transform moves onto it.
    cos, sin = (np.cos(theta) / s).astype(np.float32), (np.sin(theta) / s).astype(np.float32)
    ys = cos * dy - sin * dx + _CENTRE
    xs = sin * dy + cos * dx + _CENTRE
    if shear > 0:
        # Output pixel (y, x) reads x - k (y - centre): a stroke leans right for k > 0.
        k = rng.uniform(-shear, shear, (n, 1)).astype(np.float32)
        xs -= k * (grid_y - _CENTRE)[None, :]
    if elastic > 0:
        basis = _smooth_basis(float(sigma))
        noise = rng.standard_normal((2 * n, basis.shape[1], basis.shape[1]))
        field = (basis @ noise @ basis.T).reshape(2, n, SIDE * SIDE)
        field *= elastic / np.maximum(np.abs(field).max(axis=2, keepdims=True), 1e-8)
        ys += field[0].astype(np.float32)
        xs += field[1].astype(np.float32)
    out = sample_bilinear(images.reshape(n, SIDE, SIDE), ys, xs)
    if thickness > 0:
        out = pen_width(out.reshape(n, SIDE, SIDE), rng, thickness)
    return out.reshape(n, SIDE * SIDE).astype(images.dtype, copy=False)


def pen_width(images: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Thicker or thinner strokes for a random ``share`` of ``images`` (N, 28, 28).

    A thicker pen is a dilation: each pixel becomes the largest of itself and its four
    neighbours; a thinner one an erosion, the smallest. A blend of the image with that, by a
    random weight in [0.3, 1], gives pens between the two. Half of the chosen images get
    thicker, half thinner.
    """
    n = images.shape[0]
    chosen = rng.random(n) < share
    thicker = rng.random(n) < 0.5
    weight = rng.uniform(0.3, 1.0, n).astype(images.dtype)
    if not chosen.any():
        return images
    x = images[chosen]
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    neighbours = (
        padded[:, :-2, 1:-1],
        padded[:, 2:, 1:-1],
        padded[:, 1:-1, :-2],
        padded[:, 1:-1, 2:],
    )
    grown, shrunk = x.copy(), x.copy()
    for other in neighbours:
        np.maximum(grown, other, out=grown)
        np.minimum(shrunk, other, out=shrunk)
    target = np.where(thicker[chosen][:, None, None], grown, shrunk)
    out = images.copy()
    out[chosen] = x + weight[chosen][:, None, None] * (target - x)
    return out


# (row, column) of every pixel of the 28x28 field, made once: strokes are drawn batch after batch.
_PIXELS = np.stack(np.divmod(np.arange(SIDE * SIDE, dtype=np.float32), SIDE), axis=1)


def _segment_ink(p0: np.ndarray, p1: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Anti-aliased ink (N, 28, 28) of one straight stroke per image, from p0 to p1 (N, 2)."""
    d = (p1 - p0)[:, None, :]
    rel = _PIXELS[None, :, :] - p0[:, None, :]
    length2 = np.maximum((d * d).sum(axis=2), 1e-6)
    t = np.clip((rel * d).sum(axis=2) / length2, 0.0, 1.0)
    dist = np.linalg.norm(rel - t[:, :, None] * d, axis=2)
    ink = np.clip(width[:, None] / 2 + 0.5 - dist, 0.0, 1.0)
    return ink.reshape(-1, SIDE, SIDE)


def written_forms(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, share: float
) -> np.ndarray:
    """Add the strokes people write but MNIST's scans seldom show, to a ``share`` of the 1s and 7s.

    MNIST was written mostly by American hands: its 1s are bare strokes and its 7s uncrossed.
    Many people write a 1 with a flag (a short rising stroke into its top, sometimes a base as
    well) and cross their 7s, and a network that never saw those reads a flagged 1 as a 7. So a
    chosen 1 gets a flag of random length and angle from the top of its stroke (and one in
    three a base), and a chosen 7 a bar across its stem at about half height, each as wide as a
    pen stroke. Returns a copy of ``images`` (N, 784); other digits are left as they are.
    """
    out = images.reshape(-1, SIDE, SIDE).copy()
    chosen = (rng.random(len(labels)) < share) & np.isin(labels, (1, 7))
    for i in np.flatnonzero(chosen):
        ink = out[i] > 0.3
        rows = np.flatnonzero(ink.any(axis=1))
        if rows.size < 6:
            continue
        top, bottom = rows[0], rows[-1]
        height = bottom - top + 1
        width = float(np.clip(ink.sum() / height, 1.5, 3.0))
        strokes = []
        if labels[i] == 1:
            c0 = np.flatnonzero(ink[top]).mean()
            length = rng.uniform(0.25, 0.5) * height
            angle = np.deg2rad(rng.uniform(20, 55))
            start = np.array([top, c0])
            strokes.append((start, start + length * np.array([np.sin(angle), -np.cos(angle)])))
            if rng.random() < 1 / 3:
                c1, half = np.flatnonzero(ink[bottom]).mean(), rng.uniform(0.15, 0.3) * height
                strokes.append((np.array([bottom, c1 - half]), np.array([bottom, c1 + half])))
        else:
            r = int(top + rng.uniform(0.45, 0.6) * height)
            cols = np.flatnonzero(ink[r])
            if cols.size == 0:
                continue
            c, half = cols.mean(), rng.uniform(0.2, 0.35) * height
            strokes.append((np.array([r, c - half]), np.array([r, c + half])))
        for p0, p1 in strokes:
            line = _segment_ink(p0[None].astype(np.float32), p1[None].astype(np.float32),
                                np.array([width], np.float32))[0]  # fmt: skip
            np.maximum(out[i], line.astype(out.dtype), out=out[i])
    return out.reshape(images.shape)
