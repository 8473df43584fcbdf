"""Optimisers: how a gradient becomes a change of the parameters.

Each one updates the parameters *in place* from a dict of gradients with the same keys
(``"layers.0.W"``, ...). State such as momentum lives in the optimiser, keyed by those names.
Whether SGD is per-sample, mini-batch or full-batch is decided by the batch the trainer feeds it.
"""

from __future__ import annotations

import numpy as np


class Optimizer:
    name = "optimizer"
    label = "optimiser"  # what the page calls it
    rule = "p <- p - lr * dp"

    def __init__(self, lr: float):
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be a positive number, not {lr!r}")
        self.lr = float(lr)
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        for key, p in params.items():
            self.update(key, p, grads[key])

    def update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the state (moments, step count), keeping the settings."""
        self.t = 0

    def config(self) -> dict:
        return {"name": self.name, "lr": self.lr}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g})"


class SGD(Optimizer):
    """Plain gradient descent: ``p <- p - lr * dp``."""

    name = "sgd"
    label = "SGD"

    def update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        p -= self.lr * g


class Momentum(Optimizer):
    """Gradient descent with momentum: ``v <- beta v + dp;  p <- p - lr v``."""

    name = "momentum"
    label = "SGD with momentum"
    rule = "v <- beta * v + dp;  p <- p - lr * v"

    def __init__(self, lr: float, beta: float = 0.9):
        super().__init__(lr)
        self.beta = float(beta)
        self.v: dict[str, np.ndarray] = {}

    def update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        v = self.v.get(key)
        if v is None:
            v = self.v[key] = np.zeros_like(p)
        v *= self.beta
        v += g
        p -= self.lr * v

    def reset(self) -> None:
        super().reset()
        self.v.clear()

    def config(self) -> dict:
        return {**super().config(), "beta": self.beta}


class Adam(Optimizer):
    """Adam: running means of the gradient and of its square, bias-corrected.

    ``m <- b1 m + (1-b1) dp;  v <- b2 v + (1-b2) dp^2;  p <- p - lr m^ / (sqrt(v^) + eps)``
    """

    name = "adam"
    label = "Adam"
    rule = "p <- p - lr * m_hat / (sqrt(v_hat) + eps)"

    def __init__(
        self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        if key not in self.m:
            self.m[key], self.v[key] = np.zeros_like(p), np.zeros_like(p)
        m, v = self.m[key], self.v[key]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def reset(self) -> None:
        super().reset()
        self.m.clear()
        self.v.clear()

    def config(self) -> dict:
        return {**super().config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def get(name: str, lr: float, **options: float) -> Optimizer:
    """The optimiser called ``name`` with learning rate ``lr``."""
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown optimiser {name!r}; choose one of {', '.join(OPTIMIZERS)}"
        ) from None
    return cls(lr, **options)
