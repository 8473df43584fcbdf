"""Loss functions, each with its derivative beside it.

Every loss is a *mean over the batch*, so a learning rate means the same thing whatever the
batch size: ``backward`` already includes the ``1/N``. Targets ``y`` are a ``(batch, outputs)``
matrix; integer class labels become one-hot rows in :func:`targets`, the one place that happens.
"""

from __future__ import annotations

import numpy as np


def targets(labels: np.ndarray, n_outputs: int, dtype: type = np.float32) -> np.ndarray:
    """Integer class labels ``(N,)`` as one-hot rows ``(N, n_outputs)``; a matrix passes through."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return labels.astype(dtype, copy=False)
    onehot = np.zeros((labels.shape[0], n_outputs), dtype=dtype)
    onehot[np.arange(labels.shape[0]), labels.astype(np.intp)] = 1
    return onehot


class Loss:
    name = "loss"
    label = "loss"  # what the page calls it
    formula = "L"

    def forward(self, a: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/da, shape of ``a``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Mean squared error over every output of every sample: ``L = mean((a - y)^2)``.

    >>> float(MSE().forward(np.zeros((4, 1)), np.array([[1.0], [0.0], [0.0], [1.0]])))
    0.5
    """

    name = "mse"
    label = "mean squared error"
    formula = "L = mean((a - y)^2)"

    def forward(self, a: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean((a - y) ** 2))

    def backward(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 2 * (a - y) / a.size


class CrossEntropy(Loss):
    """Categorical cross-entropy of probabilities ``a`` (a softmax output) against one-hot ``y``:
    ``L = -mean over samples of sum_k y_k log(a_k)``.

    With a softmax before it, dL/dz simplifies to ``(a - y) / N`` (:meth:`fused_dz`), which the
    network uses: it is cheaper and stays finite when a probability underflows to zero.
    """

    name = "cross_entropy"
    label = "cross-entropy"
    formula = "L = -mean(sum_k y_k log a_k)"
    # Probabilities are clipped here before the log, so a confident wrong answer costs a large
    # but finite loss (-log(1e-12) ~ 27.6) instead of inf.
    eps = 1e-12

    def forward(self, a: np.ndarray, y: np.ndarray) -> float:
        return float(-np.sum(y * np.log(np.maximum(a, self.eps))) / a.shape[0])

    def backward(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return -y / np.maximum(a, self.eps) / a.shape[0]

    @staticmethod
    def fused_dz(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/dz through softmax and cross-entropy together: ``(a - y) / N``."""
        return (a - y) / a.shape[0]


LOSSES: dict[str, type[Loss]] = {cls.name: cls for cls in (MSE, CrossEntropy)}


def get(name: str) -> Loss:
    """The loss called ``name`` (``mse`` or ``cross_entropy``)."""
    try:
        return LOSSES[name]()
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None
