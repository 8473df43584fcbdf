"""Weight initialisers. Each draws a ``(n_out, n_in)`` matrix from a passed-in Generator.

``normal`` is the standard normal of the worked examples; ``uniform`` is U(-0.5, 0.5), the
784-10-10 tutorial's ``rand() - 0.5``; ``xavier`` (Glorot) keeps the variance of sigmoid/tanh
layers steady; ``he`` does the same for ReLU. Biases always start at zero.
"""

from __future__ import annotations

import numpy as np


def normal(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    return rng.standard_normal((n_out, n_in))


def uniform(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    return rng.random((n_out, n_in)) - 0.5


def xavier(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_out, n_in))


def he(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    return rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)


INITIALISERS = {"normal": normal, "uniform": uniform, "xavier": xavier, "he": he}

# Not an initialiser a run can choose: a layer about to receive a model file's weights draws no
# random numbers (loading a model then never imports numpy.random; see modelfile._build).
FROM_FILE = "from-file"


def initial_weights(init: str, rng: np.random.Generator | None, n_in: int, n_out: int):
    """Initial ``(n_out, n_in)`` weights by initialiser ``init`` (zeros for :data:`FROM_FILE`),
    drawn from ``rng`` (default: a generator seeded with 0)."""
    if init == FROM_FILE:
        return np.zeros((n_out, n_in))
    return get(init)(rng if rng is not None else np.random.default_rng(0), n_in, n_out)


LABELS = {
    "he": "He (for ReLU)",
    "xavier": "Xavier (for sigmoid, tanh)",
    "normal": "normal",
    "uniform": "uniform",
}
"""What the page calls each initialiser."""


def get(name: str):
    """The initialiser called ``name``."""
    try:
        return INITIALISERS[name]
    except KeyError:
        raise ValueError(
            f"unknown initialiser {name!r}; choose one of {', '.join(INITIALISERS)}"
        ) from None
