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


class ParameterFree:
    """What the layers without parameters share (pooling, flattening, dropout): no ``params``,
    no ``grads``, and a backward that begins by keeping dL/da in the cache (they have no
    activation, so a ``dz`` passed in is the same thing)."""

    cache: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {}

    def _incoming(self, da: np.ndarray | None, dz: np.ndarray | None) -> np.ndarray:
        """dL/da of this layer's output for ``backward``, kept in the cache."""
        if not self.cache:
            raise RuntimeError("backward() needs a forward() first")
        da = da if dz is None else dz
        self.grads = {}
        self.cache.update(da=da)
        return da


class Dropout(ParameterFree):
    """While training, silence each value with probability ``rate``; otherwise pass it through.

    Shapes: x and a: any shape, the same. In a training step (``forward``) every value is kept
    with probability ``1 - rate`` and scaled by ``1 / (1 - rate)`` ("inverted" dropout), so its
    expected value is unchanged and nothing needs rescaling afterwards; ``apply`` (predicting,
    evaluating) is the identity. Units cannot rely on any one neighbour being there, so the
    network learns several ways to recognise a digit instead of one fragile one: it overfits
    less. The mask is drawn from the layer's own seeded ``Generator`` (``rng``; a fixed seed
    when none is given, made on the first training step, so loading a model draws nothing).

    Cache after ``forward``: ``x``, ``mask`` (0 or ``1 / (1 - rate)`` per value) and ``a``.
    A gradient check fixes the mask (:meth:`fix_mask`) so that ``apply`` uses it too.

    >>> layer = Dropout(0.5, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((1, 6), np.float32))
    array([[0., 0., 0., 2., 2., 2.]], dtype=float32)
    >>> layer.apply(np.ones((1, 3), np.float32))
    array([[1., 1., 1.]], dtype=float32)
    """

    kind = "dropout"
    rule = "a = x·m / (1 - p),  m ~ Bernoulli(1 - p) while training;  a = x otherwise"
    derivative = "dx = da·m / (1 - p)"

    def __init__(self, rate: float = 0.5, rng: np.random.Generator | None = None):
        rate = float(rate)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"a dropout rate must be at least 0 and below 1, not {rate:g}")
        self.rate = rate
        self.rng = rng
        self.fixed: np.ndarray | None = None
        self.cache: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"Dropout({self.rate:g})"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "rate": self.rate}

    def copy(self, dtype: type | None = None) -> Dropout:
        """A copy that draws its masks from the same generator (no mask fixed)."""
        return Dropout(self.rate, self.rng)

    def fix_mask(self, mask: np.ndarray | None) -> None:
        """Use ``mask`` in every ``forward`` and ``apply`` until called with None (for checks)."""
        self.fixed = mask

    def _mask(self, x: np.ndarray) -> np.ndarray:
        if self.fixed is not None:
            return self.fixed
        if self.rng is None:
            self.rng = np.random.default_rng(0)
        keep = 1.0 - self.rate
        # Each value kept with probability 1 - p, and scaled by 1 / (1 - p).
        mask = (self.rng.random(x.shape, dtype=np.float32) < keep).astype(x.dtype)
        mask /= keep
        return mask

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The identity (no values dropped when predicting), unless a mask is fixed."""
        return x if self.fixed is None else x * self.fixed

    def forward(self, x: np.ndarray) -> np.ndarray:
        mask = self._mask(x) if self.rate > 0 or self.fixed is not None else np.ones_like(x)
        a = x * mask
        self.cache = {"x": x, "mask": mask, "a": a}
        return a

    def backward(
        self, da: np.ndarray | None, dz: np.ndarray | None = None, need_dx: bool = True
    ) -> np.ndarray | None:
        """Only the values that were kept pass their gradient, scaled as they were."""
        da = self._incoming(da, dz)
        # a = x * m, so da/dx = m
        return da * self.cache["mask"] if need_dx else None
