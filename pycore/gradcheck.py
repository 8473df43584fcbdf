"""Check backpropagation against the definition of a derivative.

For each parameter entry p, the central difference (L(p + h) - L(p - h)) / 2h approximates dL/dp
with an error of order h^2. If backprop is right, the two agree to many digits in float64. The
tests call this for every layer, activation and loss; the page's self-check runs it too.
"""

from __future__ import annotations

import numpy as np

from .network import Network


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``max |a - n| / max(|a| + |n|)``: 0 for a perfect match, scale-free."""
    scale = max(float(np.max(np.abs(analytic) + np.abs(numeric))), 1e-12)
    return float(np.max(np.abs(analytic - numeric))) / scale


def backprop_float64(net: Network, x, y):
    """A float64 copy of ``net`` with backprop run once on ``(x, y)``, ready for differencing.

    Returns ``(copy, x, targets, gradients)``: ``x`` in float64, ``y`` as the loss's targets, and
    a copy of every parameter's backprop gradient (the differences overwrite the net's own).
    """
    net = net.astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = net.targets(y)
    net.forward(x)
    # A dropout layer keeps the mask it just drew, so the differences see the same network.
    for layer in net.layers:
        if hasattr(layer, "fix_mask"):
            layer.fix_mask(layer.cache["mask"])
    net.backward(y)
    return net, x, y, {k: g.copy() for k, g in net.gradients().items()}


def numeric_gradient(loss, array: np.ndarray, h: float, entries: np.ndarray | None = None):
    """d loss()/d array by (L(a + h) - L(a - h)) / 2h, nudging ``array`` in place.

    ``loss`` is called with no arguments and must read ``array``; ``entries`` are flat indices
    (default: every entry), and the result has one value per entry, or ``array``'s shape when
    every entry is taken. Every entry is put back exactly as it was.
    """
    flat = array.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("numeric_gradient needs an array it can nudge in place (contiguous)")
    chosen = np.arange(flat.size) if entries is None else entries
    numeric = np.empty(len(chosen))
    for n, i in enumerate(chosen):
        saved = flat[i]
        flat[i] = saved + h
        up = loss()
        flat[i] = saved - h
        down = loss()
        flat[i] = saved
        numeric[n] = (up - down) / (2 * h)
    return numeric.reshape(array.shape) if entries is None else numeric


def central_differences(net, x, y, flat: np.ndarray, entries: np.ndarray, h: float) -> np.ndarray:
    """dL/dp by (L(p + h) - L(p - h)) / 2h for the ``entries`` of one parameter tensor.

    ``flat`` is a flat *view* of the tensor, so nudging it nudges the network; every entry is
    put back exactly as it was.
    """
    return numeric_gradient(lambda: net.evaluate_loss(x, y), flat, h, entries)


def check_network(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    h: float = 1e-6,
    max_entries: int | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, dict]:
    """Compare backprop's gradients with central differences for every parameter tensor.

    Works on a float64 copy, so ``net`` is untouched. ``max_entries`` checks a random sample of
    entries per tensor (for large layers). Returns ``{name: {"error", "entries", "shape"}}``.
    """
    net, x, y, analytic = backprop_float64(net, x, y)
    rng = rng if rng is not None else np.random.default_rng(0)
    report = {}
    for name, p in net.parameters().items():
        flat = p.reshape(-1)
        entries = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            entries = np.sort(rng.choice(flat.size, max_entries, replace=False))
        numeric = central_differences(net, x, y, flat, entries, h)
        report[name] = {
            "error": relative_error(analytic[name].reshape(-1)[entries], numeric),
            "entries": int(entries.size),
            "shape": list(p.shape),
        }
    return report
