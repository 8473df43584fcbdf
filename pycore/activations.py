"""Activation functions, each with its derivative beside it.

An activation maps the pre-activation ``z`` of a layer to its output ``a = f(z)``, element by
element (softmax: row by row). ``backward(z, a, da)`` turns ``dL/da`` into ``dL/dz`` using what
the forward pass produced, so nothing is recomputed. Arrays are ``(batch, units)``.
"""

from __future__ import annotations

import numpy as np


class Activation:
    """Base class: ``forward(z) -> a`` and ``backward(z, a, da) -> dz``."""

    name = "activation"
    label = "activation"  # what the page calls it
    formula = "a = f(z)"
    derivative = "dz = f'(z) * da"

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    name = "sigmoid"
    label = "sigmoid"
    formula = "a = 1 / (1 + exp(-z))"
    derivative = "dz = a * (1 - a) * da"

    def forward(self, z: np.ndarray) -> np.ndarray:
        # For z >= 0 this is exactly the textbook 1 / (1 + exp(-z)); for z < 0 the equal form
        # exp(z) / (1 + exp(z)) avoids overflowing exp(-z).
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da * a * (1 - a)


class Tanh(Activation):
    name = "tanh"
    label = "tanh"
    formula = "a = tanh(z)"
    derivative = "dz = (1 - a^2) * da"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da * (1 - a * a)


class ReLU(Activation):
    name = "relu"
    label = "ReLU"
    formula = "a = max(0, z)"
    derivative = "dz = da where z > 0, else 0"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0)

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da * (z > 0)


class Identity(Activation):
    name = "identity"
    label = "identity"
    formula = "a = z"
    derivative = "dz = da"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        return da


class Softmax(Activation):
    name = "softmax"
    label = "softmax"
    formula = "a_i = exp(z_i) / sum_j exp(z_j)"
    derivative = "dz = a * (da - sum_j(da_j * a_j))"

    def forward(self, z: np.ndarray) -> np.ndarray:
        # Subtracting the row maximum changes nothing mathematically and keeps exp finite.
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def backward(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        # The Jacobian is diag(a) - a a^T, applied to da without building it.
        return a * (da - (da * a).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, Identity, Softmax)
}


def get(name: str) -> Activation:
    """The activation called ``name`` (one of :data:`ACTIVATIONS`)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None
