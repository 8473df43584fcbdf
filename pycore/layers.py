"""A fully connected layer: ``z = x W^T + b``, then ``a = f(z)``.

One layer is what a learner draws as one column of neurons: each of its ``n_out`` neurons
takes a weighted sum of the ``n_in`` inputs plus a bias, then applies the activation. Row ``j``
of ``W`` holds neuron ``j``'s incoming weights, so for the first MNIST layer ``W[j]`` reshaped
to 28x28 is the picture that neuron responds to.

``forward`` replaces the cache (``x``, ``z``, ``a``) on every call; ``backward`` reads only that
cache and assigns the gradients (it never accumulates). Names follow the maths: ``dX`` means
dL/dX for the batch's mean loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import activations
from . import init as initialisers
from .kernels import matmul


class Dense:
    """``n_in`` inputs to ``n_out`` neurons with one activation.

    Shapes:
        W: (n_out, n_in), b: (n_out,), x: (batch, n_in), z and a: (batch, n_out)

    >>> layer = Dense(784, 128, "relu", rng=np.random.default_rng(0))
    >>> layer
    Dense(784 -> 128, relu)
    >>> {name: p.shape for name, p in layer.params.items()}
    {'W': (128, 784), 'b': (128,)}
    """

    kind = "dense"
    rule = "z[j] = Σ_i W[j,i]·x[i] + b[j],   a[j] = f(z[j])"
    derivative = "dW = dz^T x,   db = Σ_n dz,   dx = dz W"

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "sigmoid",
        rng: np.random.Generator | None = None,
        init: str = "he",
        dtype: type = np.float32,
    ):
        self.activation = activations.get(activation)
        self.W = initialisers.initial_weights(init, rng, n_in, n_out).astype(dtype)
        self.b = np.zeros(n_out, dtype=dtype)
        self.cache: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    @property
    def n_in(self) -> int:
        return self.W.shape[1]

    @property
    def n_out(self) -> int:
        return self.W.shape[0]

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b}

    def __repr__(self) -> str:
        return f"Dense({self.n_in} -> {self.n_out}, {self.activation.name})"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int]:
        """``(n_out,)`` for one sample of shape ``(n_in,)``."""
        if tuple(input_shape) != (self.n_in,):
            raise ValueError(f"{self} needs {self.n_in} inputs, not shape {tuple(input_shape)}")
        return (self.n_out,)

    def describe(self) -> dict[str, Any]:
        """The layer's kind and sizes as JSON-able data (not its parameters)."""
        return {
            "kind": self.kind,
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.name,
        }

    def copy(self, dtype: type | None = None) -> Dense:
        """An independent copy (parameters copied, in ``dtype`` if given; empty cache)."""
        clone = Dense.__new__(Dense)
        clone.activation = type(self.activation)()
        clone.W = self.W.astype(dtype or self.W.dtype, copy=True)
        clone.b = self.b.astype(dtype or self.b.dtype, copy=True)
        clone.cache, clone.grads = {}, {}
        return clone

    def apply(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The forward maths without touching the cache: returns ``(z, a)``."""
        z = matmul(x, self.W.T) + self.b
        return z, self.activation.forward(z)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute and cache ``z`` and ``a`` for the batch ``x``; return ``a``."""
        z, a = self.apply(x)
        self.cache = {"x": x, "z": z, "a": a}
        return a

    def backward(
        self, da: np.ndarray | None, dz: np.ndarray | None = None, need_dx: bool = True
    ) -> np.ndarray | None:
        """From dL/da (or dL/dz, when the loss already went through the activation) to dL/dx.

        Sets ``grads['W']`` and ``grads['b']`` and returns ``dx``, the dL/da of the layer below
        (``None`` when ``need_dx`` is false: the first layer's inputs are data, not parameters).
        """
        if not self.cache:
            raise RuntimeError("backward() needs a forward() first")
        x, z, a = self.cache["x"], self.cache["z"], self.cache["a"]
        if dz is None:
            dz = self.activation.backward(z, a, da)
        # dz = f'(z) * da;  dW = dz^T x;  db = sum over the batch of dz;  dx = dz W
        dW = matmul(dz.T, x)
        db = dz.sum(axis=0)
        dx = matmul(dz, self.W) if need_dx else None
        self.grads = {"W": dW, "b": db}
        self.cache.update(da=da, dz=dz)
        return dx
