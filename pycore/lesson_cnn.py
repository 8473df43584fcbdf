"""The lesson "A first convolutional network", after the classic introductory CNN write-ups.

The network: one convolution of 8 filters of 3x3 ("valid", so 28x28 -> 26x26), a 2x2 max-pool
(26x26 -> 13x13), then a softmax layer on the 13x13x8 = 1,352 pooled values -> 10 digits, with
cross-entropy. It is trained by plain SGD, one digit per step (lr 0.005), on the first 1,000
training digits for 3 epochs (shuffled each epoch, seeded), and measured on the 2,000 held-out
digits: 87.25% with seed 0, in about a second of CPU.

The convolution has no activation (identity), as in the classic write-up: the max-pool that
follows is already non-linear (the largest of four), so the network is not a linear model, and
here a ReLU after the convolution scored a little lower (86.45%). Pixels are in [0, 1] and the
weights He-initialised, as everywhere in pycore (the write-up centres pixels on 0 and draws
smaller weights; both reach the same kind of accuracy).

:data:`pycore.settings.RECIPES` ``["cnn-lesson"]`` is the same network for the Train panel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .conv import Conv2D, Flatten, MaxPool2D
from .data import Subset, load_subset
from .layers import Dense
from .metrics import accuracy
from .network import Network
from .optim import SGD

SEED = 0
FILTERS = 8
KERNEL = 3
ACTIVATION = "identity"
TRAIN_DIGITS = 1000
EPOCHS = 3
LR = 0.005


def network(seed: int = SEED) -> Network:
    """conv 8@3x3 (identity) -> maxpool 2 -> flatten 1352 -> 10 softmax, cross-entropy."""
    rng = np.random.default_rng(seed)
    return Network(
        [
            Conv2D(1, FILTERS, KERNEL, "valid", ACTIVATION, rng=rng),
            MaxPool2D(2),
            Flatten(),
            Dense(FILTERS * 13 * 13, 10, "softmax", rng=rng),
        ],
        "cross_entropy",
        (1, 28, 28),
    )


def run(
    progress: Callable[[int, int], None] | None = None,
    subset: Subset | None = None,
    epochs: int = EPOCHS,
    lr: float = LR,
    seed: int = SEED,
) -> dict:
    """Train the lesson's network and measure it; returns numbers and lines to print."""
    subset = subset if subset is not None else load_subset()
    x = subset.train.images()[:TRAIN_DIGITS]
    labels = subset.train.labels[:TRAIN_DIGITS]
    net = network(seed)
    optimizer = SGD(lr)
    order = np.random.default_rng([seed, 1])
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for i in order.permutation(len(labels)):  # one digit per step, as in the write-up
            total += net.train_step(x[i : i + 1], labels[i : i + 1], optimizer)
        losses.append(total / len(labels))
        if progress:
            progress(epoch + 1, epochs)
    train_acc = accuracy(net.predict(x), labels)
    test_acc = accuracy(net.predict(subset.test.images()), subset.test.labels)
    lines = [f"{net}"]
    lines += [f"epoch {e + 1} mean loss {loss:.4f}" for e, loss in enumerate(losses)]
    lines += [
        f"train accuracy (the {len(labels):,} digits): {train_acc:.4f}",
        f"test accuracy ({len(subset.test):,} held-out digits): {test_acc:.4f}",
    ]
    return {
        "losses": losses,
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "lines": lines,
        "network": net,
    }


def trace(sample: int, subset: Subset | None):
    """The lesson's fresh network on held-out digit ``sample`` (wrapping), for one SGD step."""
    digits = subset.test
    index = sample % len(digits)
    label = int(digits.labels[index])
    x = digits.pixels[index : index + 1].astype(np.float32) / np.float32(255)
    about = {
        "lesson": "cnn",
        "sample": f"held-out digit #{index}, a {label}",
        "label": label,
        "index": index,
    }
    return network(), x, np.array([label]), about
