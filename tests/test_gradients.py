"""Backprop against central finite differences, for every layer, activation and loss."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pycore import Network
from pycore.activations import ACTIVATIONS
from pycore.gradcheck import check_network, numeric_gradient, relative_error
from pycore.layers import Dense

HIDDEN = sorted(ACTIVATIONS)
OUTPUT_LOSS = [(act, "mse") for act in sorted(ACTIVATIONS)] + [("softmax", "cross_entropy")]


def _away_from_kinks(net: Network, x: np.ndarray) -> bool:
    """ReLU has no derivative at 0: skip samples that land within a hair of it."""
    a = x
    for layer in net.layers:
        z, a = layer.apply(a)
        if layer.activation.name == "relu" and np.min(np.abs(z)) < 1e-4:
            return False
    return True


@pytest.mark.parametrize(("hidden", "output_loss"), list(itertools.product(HIDDEN, OUTPUT_LOSS)))
def test_network_gradients_match_finite_differences(hidden, output_loss, rng):
    output, loss = output_loss
    net = Network.build(
        [5, 4, 3, 3], [hidden, hidden, output], loss, rng=rng, init="xavier", dtype=np.float64
    )
    for layer in net.layers:
        layer.b[:] = rng.normal(0, 0.3, layer.b.shape)
    x = rng.normal(0, 1, (7, 5))
    assert _away_from_kinks(net, x)
    y = rng.integers(0, 3, 7) if loss == "cross_entropy" else rng.normal(0, 1, (7, 3))
    report = check_network(net, x, y)
    worst = max(report.values(), key=lambda r: r["error"])
    assert worst["error"] < 1e-6, report


@pytest.mark.parametrize("activation", HIDDEN)
def test_dense_backward_matches_finite_differences_with_random_upstream_gradient(activation, rng):
    """L = sum(a * R) for a fixed random R, so dL/da = R: an all-ones R would hide transposes."""
    layer = Dense(6, 4, activation, rng=rng, init="xavier", dtype=np.float64)
    layer.b[:] = rng.normal(0, 0.5, 4)
    x = rng.normal(0, 1, (5, 6))
    R = rng.normal(0, 1, (5, 4))
    layer.forward(x)
    dx = layer.backward(R)

    def loss() -> float:
        return float(np.sum(layer.apply(x)[1] * R))

    h = 1e-6
    for name, analytic in [("W", layer.grads["W"]), ("b", layer.grads["b"])]:
        numeric = numeric_gradient(loss, layer.params[name], h)
        assert relative_error(analytic, numeric) < 1e-6, name
    assert relative_error(dx, numeric_gradient(loss, x, h)) < 1e-6


def test_fused_softmax_cross_entropy_equals_the_chain_through_softmax(rng):
    """(a - y)/N must equal softmax's Jacobian applied to cross-entropy's dL/da."""
    from pycore.activations import Softmax
    from pycore.losses import CrossEntropy, targets

    z = rng.normal(0, 2, (6, 10))
    y = targets(rng.integers(0, 10, 6), 10, np.float64)
    a = Softmax().forward(z)
    chained = Softmax().backward(z, a, CrossEntropy().backward(a, y))
    np.testing.assert_allclose(CrossEntropy.fused_dz(a, y), chained, rtol=1e-10, atol=1e-14)


def test_gradient_check_catches_a_wrong_derivative(rng, monkeypatch):
    """The checker itself must fail when backprop is wrong (here: sigmoid' off by a factor)."""
    from pycore.activations import Sigmoid

    net = Network.build([4, 3, 2], ["sigmoid", "sigmoid"], "mse", rng=rng, dtype=np.float64)
    monkeypatch.setattr(Sigmoid, "backward", lambda self, z, a, da: da * a * (1 - a) * 1.01)
    report = check_network(net, rng.normal(0, 1, (3, 4)), rng.normal(0, 1, (3, 2)))
    assert max(r["error"] for r in report.values()) > 1e-4
