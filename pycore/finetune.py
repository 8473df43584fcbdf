"""Fine-tuning: go on training a network on a person's own digits, mixed with MNIST.

A :class:`FineTune` splits the person's digits into those it learns from and those it holds
out (so they show whether the network learned the person's style or only memorised the drawings
it saw), mixes the learn split with MNIST training digits, scores the network before, and
prepares a :class:`pycore.train.Trainer` for the run. After (or during) the run,
:meth:`FineTune.scores` measures the same three accuracies again. It trains nothing by itself:
the caller runs the trainer slice by slice like any other.
"""

from __future__ import annotations

import numpy as np

from . import metrics
from .mydigits import holdout_split, mix_with_mnist
from .network import Network
from .train import Settings, Trainer

FINETUNE_DEFAULTS: dict = {
    "mnist_share": 0.5,
    "epochs": 5,
    "seed": 0,
    "holdout": 0.2,
    "lr": 0.0005,
    "batch_size": 16,
}
"""The fine-tune settings the page starts from: Adam at a small learning rate, small batches."""


def mnist_accuracy(net: Network, x: np.ndarray, labels: np.ndarray, chunk: int = 500) -> float:
    """Accuracy of ``net`` on ``(x, labels)``, ``chunk`` rows at a time to bound memory."""
    predicted = np.concatenate([net.predict(x[i : i + chunk]) for i in range(0, len(x), chunk)])
    return metrics.accuracy(predicted, labels)


class FineTune:
    """One fine-tuning run of ``net`` on own digits plus MNIST.

    Shapes:
        own_pixels: (N, 784) uint8; own_labels: (N,) uint8; ``mnist_train`` and ``mnist_test``
        are ``(x, labels)`` with x: (M, 784) float in [0, 1].

    About ``holdout`` of each digit's own samples (chosen by ``seed``) are held out; the rest are
    mixed with MNIST training digits so that MNIST makes up ``mnist_share`` of the data. The
    trainer's held-out digits are the MNIST test split.
    """

    def __init__(
        self,
        net: Network,
        own_pixels: np.ndarray,
        own_labels: np.ndarray,
        mnist_train: tuple[np.ndarray, np.ndarray],
        mnist_test: tuple[np.ndarray, np.ndarray],
        mnist_share: float = FINETUNE_DEFAULTS["mnist_share"],
        epochs: int = FINETUNE_DEFAULTS["epochs"],
        seed: int = FINETUNE_DEFAULTS["seed"],
        holdout: float = FINETUNE_DEFAULTS["holdout"],
        lr: float = FINETUNE_DEFAULTS["lr"],
        batch_size: int = FINETUNE_DEFAULTS["batch_size"],
    ):
        try:
            share, hold = float(mnist_share), float(holdout)
        except (TypeError, ValueError):
            raise ValueError("the MNIST share and the held-out share must be numbers") from None
        learn, held = holdout_split(own_labels, hold, int(seed))
        if learn.size < 1:
            raise ValueError("draw and label some digits first: there is nothing to learn from")
        own_x = own_pixels.astype(net.dtype) / 255
        x, y, n_mnist = mix_with_mnist(
            own_x[learn], own_labels[learn], mnist_train[0], mnist_train[1], share, seed
        )
        hidden = net.sizes[1:-1]
        self.settings = Settings.from_dict(
            {
                "hidden": hidden,
                "activation": net.activations[0] if hidden else "relu",
                "output": net.activations[-1],
                "loss": net.loss.name,
                "optimizer": "adam",
                "lr": lr,
                "batch_size": batch_size,
                "epochs": epochs,
                "seed": seed,
                "dtype": str(net.dtype),
            }
        )
        self.net = net
        self.mnist_test = mnist_test
        self.learn = (own_x[learn], own_labels[learn])
        self.held = (own_x[held], own_labels[held])
        self.held_index = held
        self.counts = {"learn": int(learn.size), "held_out": int(held.size), "mnist": n_mnist}
        self.before = self.scores()
        self.trainer = Trainer(net, self.settings, x, y, mnist_test)

    def scores(self) -> dict:
        """The network's accuracy now on the own held-out digits, the own learned ones, MNIST."""

        def score(x, y):
            return metrics.accuracy(self.net.predict(x), y) if y.size else None

        return {
            "held_out": score(*self.held),
            "learned": score(*self.learn),
            "mnist": mnist_accuracy(self.net, *self.mnist_test),
        }

    def result(self) -> dict:
        """Accuracy before and after (so far), and how far the run got."""
        return {
            "before": self.before,
            "after": self.scores(),
            "step": self.trainer.step,
            "total_steps": self.trainer.total_steps,
            "done": self.trainer.done,
        }
