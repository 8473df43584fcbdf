"""The page's self-check: is the maths of *this* network right, and do the lessons still add up?

Two independent checks, both cheap enough to run in the browser in a few seconds:

1. A gradient check of every parameter tensor of the current network. Backprop's gradient of the
   loss on a few real digits is compared with the central difference (L(p + h) - L(p - h)) / 2h,
   which needs nothing but forward passes. The network is copied to float64 first, where the two
   agree to about 1e-9 when backprop is right; a wrong transpose, a missing factor or a forgotten
   term gives errors near 1. Large layers are checked on a sample of entries: the ones with the
   largest gradients (where a mistake shows most) and random ones with non-zero gradient (a
   pixel that is blank in every sample has gradient 0 on both sides, which would prove nothing).
2. The worked examples' published numbers recomputed with the same library code.

What it does not prove: that training converges, or that the network is good. It proves that
the gradients the optimiser follows are the derivatives of the loss the page reports.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .gradcheck import backprop_float64, central_differences, relative_error
from .lessons import LESSONS
from .network import Network

TOLERANCE = 1e-6
"""Largest max-relative-error that passes; float64 central differences with h = 1e-5 reach ~1e-7
even on the confident pretrained network (loss ~1e-4), where rounding limits a smaller step."""

STEP = 1e-5


def kink_distance(net: Network, x: np.ndarray) -> np.ndarray:
    """For each row of ``x``, how close any ReLU input comes to 0 (inf without ReLU).

    ReLU has no derivative at 0; a finite difference that straddles the kink measures half a
    slope, which is not a bug in backprop. So the check uses rows far from it, and a step that
    cannot reach it.
    """
    distance = np.full(len(x), np.inf)
    a = net._inputs(x)
    for layer in net.layers:
        out = layer.apply(a)
        if not isinstance(out, tuple):  # pooling, flattening, dropout: no activation
            a = out
            continue
        z, a = out
        if layer.activation.name == "relu":
            distance = np.minimum(distance, np.abs(z).reshape(len(x), -1).min(axis=1))
    return distance


def pick_samples(
    net: Network, x: np.ndarray, count: int = 4, margin: float = 1e-4
) -> tuple[np.ndarray, float]:
    """The first ``count`` rows of ``x`` whose ReLU inputs all stay further than ``margin``
    from 0 (else the ``count`` rows that come least close), and the step ``h`` for them.

    The step is 1e-5 (:data:`STEP`), smaller when a chosen row comes closer to a kink than a
    hundred steps: a convolution's thousands of values always hold some near 0.
    """
    distance = kink_distance(net.astype(np.float64), x.astype(np.float64))
    ok = np.flatnonzero(distance > margin)
    picked = ok[:count] if ok.size >= count else np.sort(np.argsort(-distance)[:count])
    h = float(np.clip(distance[picked].min() / 100, 1e-7, STEP))
    return picked, h


def pick_entries(grad: np.ndarray, count: int | None, rng: np.random.Generator) -> np.ndarray:
    """Flat indices to check: everything when small, else the largest and random non-zero ones."""
    flat = np.abs(grad.reshape(-1))
    if count is None or flat.size <= count:
        return np.arange(flat.size)
    largest = np.argsort(flat)[::-1][: count // 2]
    rest = np.setdiff1d(np.flatnonzero(flat), largest)
    if rest.size == 0:
        rest = np.setdiff1d(np.arange(flat.size), largest)
    extra = rng.choice(rest, min(count - largest.size, rest.size), replace=False)
    return np.sort(np.concatenate([largest, extra]))


def gradient_check(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    entries: int | None = 24,
    seed: int = 0,
    corrupt: str | None = None,
    h: float = STEP,
    tolerance: float = TOLERANCE,
) -> list[dict]:
    """Backprop against central differences for every parameter tensor of ``net``.

    ``x``: (batch, n_in); ``y``: integer labels (batch,) or targets (batch, n_out). Works on a
    float64 copy; ``net`` is untouched. ``entries`` caps the entries checked per tensor.

    ``corrupt`` names a tensor (e.g. ``layers.0.W``) whose backprop gradient is scaled by 1.05
    before the comparison: a test hook that shows what a wrong gradient looks like. It exists
    so the page's tests can prove the check can fail; no user control reaches it.

    Returns one row per tensor: ``name``, ``shape``, ``entries``, ``error``, ``passed``.
    """
    net, x, y, analytic = backprop_float64(net, x, y)
    if corrupt is not None:
        if corrupt not in analytic:
            raise ValueError(f"there is no parameter tensor called {corrupt!r}")
        analytic[corrupt] *= 1.05
    rng = np.random.default_rng(seed)
    rows = []
    for name, p in net.parameters().items():
        flat = p.reshape(-1)
        picked = pick_entries(analytic[name], entries, rng)
        numeric = central_differences(net, x, y, flat, picked, h)
        error = relative_error(analytic[name].reshape(-1)[picked], numeric)
        rows.append(
            {
                "name": name,
                "shape": list(p.shape),
                "entries": int(picked.size),
                "of": int(flat.size),
                "error": error,
                "passed": bool(error < tolerance),
            }
        )
    return rows


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _alice_dw1() -> float:
    """dL/dw1 for Alice with every weight 1 and bias 0, by the chain rule written out by hand."""
    x1, x2, y = -2.0, -1.0, 1.0
    z_h = x1 + x2
    h = _sigmoid(z_h)
    z_o = 2 * h
    o = _sigmoid(z_o)
    dL_do = -2 * (y - o)
    deriv = lambda z: _sigmoid(z) * (1 - _sigmoid(z))  # noqa: E731
    return dL_do * deriv(z_o) * x1 * deriv(z_h)


def golden_values() -> list[dict]:
    """The lessons' published numbers next to what this build of pycore computes now.

    A ``tolerance`` of 0 means equal to the last digit (the lessons print float64 results);
    the text computes 0.0214 from intermediates rounded to three digits, so it gets 1e-4.
    """
    neuron = LESSONS["neuron"].run()
    network = LESSONS["network"].run()
    mse = LESSONS["mse"].run()
    alice = LESSONS["weight-height"].run(epochs=1)["alice_grads"]["layers.0.W"][0][0]
    rows = [
        ("A single neuron: sigmoid(0·2 + 1·3 + 4)", 0.9990889488055994, neuron["output"], 0.0),
        ("2-2-1 network: hidden h1 = sigmoid(3)", 0.9525741268224334, network["hidden"][0], 0.0),
        ("2-2-1 network: output o1", 0.7216325609518421, network["output"], 0.0),
        ("MSE of all-zero predictions for [1, 0, 0, 1]", 0.5, mse["loss"], 0.0),
        ("Alice: ∂L/∂w1 by backprop vs by hand", _alice_dw1(), alice, 1e-12),
        ("Alice: ∂L/∂w1 as the text prints it", 0.0214, alice, 1e-4),
    ]
    return [
        {
            "name": name,
            "expected": expected,
            "computed": float(computed),
            "tolerance": tol,
            "passed": bool(abs(computed - expected) <= tol),
        }
        for name, expected, computed, tol in rows
    ]


def run(
    net: Network,
    x: np.ndarray,
    labels: np.ndarray,
    samples: int = 4,
    entries: int | None = 24,
    corrupt: str | None = None,
) -> dict:
    """The whole self-check on ``net`` with ``samples`` rows of ``(x, labels)``."""
    start = time.perf_counter()
    picked, h = pick_samples(net, np.asarray(x)[: max(samples * 8, samples)], samples)
    gradients = gradient_check(
        net, x[picked], labels[picked], entries=entries, corrupt=corrupt, h=h
    )
    golden = golden_values()
    passed = all(r["passed"] for r in gradients) and all(r["passed"] for r in golden)
    return {
        "passed": passed,
        "tolerance": TOLERANCE,
        "step": h,
        "samples": [int(i) for i in picked],
        "gradients": gradients,
        "golden": golden,
        "network": repr(net),
        "seconds": time.perf_counter() - start,
    }
