"""Fine-tuning: go on training a network on a person's own digits, mixed with MNIST.

A :class:`FineTune` splits the person's digits into those it learns from and those it holds
out (so they show whether the network learned the person's style or only memorised the drawings
it saw), mixes the learn split with MNIST training digits, scores the network before, and
prepares a :class:`pycore.train.Trainer` for the run. After (or during) the run,
:meth:`FineTune.scores` measures the same three accuracies again. It trains nothing by itself:
the caller runs the trainer slice by slice like any other.

Whether it generalised is only said with evidence (:meth:`FineTune.verdict`): a digit gives
drawings to the held-out side only when it has at least three (one, or two from eight on), and
below ten held-out drawings, or fewer than three digits among them, the verdict is "too few
drawings to tell", with the counts per digit.
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

EVIDENCE: dict = {"min_samples": 3, "min_held_out": 10, "min_digits": 3}
"""A digit holds drawings out only from ``min_samples`` on; a verdict needs ``min_held_out``
held-out drawings of at least ``min_digits`` different digits."""


def mnist_accuracy(net: Network, x: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of ``net`` on ``(x, labels)``."""
    return metrics.accuracy(net.predict(x), labels)


def _architecture(net) -> dict:
    """The settings that describe ``net``'s layers (conv channels, kernel, hidden sizes).

    The run goes on training ``net`` itself, so these only record what was trained; a network
    that the settings cannot describe (an uploaded one with an unusual layout) is recorded as
    its dense part.
    """
    layers = net.describe()
    convs = [d for d in layers if d["kind"] == "conv2d"]
    dense = [d for d in layers if d["kind"] == "dense"]
    hidden = [d["n_out"] for d in dense[:-1]]
    first = convs[0] if convs else (dense[0] if hidden else None)
    arch = {"hidden": hidden, "activation": first["activation"] if first else "relu"}
    if convs and all(d["k"] == convs[0]["k"] and d["padding"] == "valid" for d in convs):
        arch.update(conv=[d["c_out"] for d in convs], kernel=convs[0]["k"])
    try:
        Settings.from_dict(arch)
    except ValueError:
        return {"hidden": [], "activation": "relu"}
    return arch


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
        learn, held = holdout_split(
            own_labels, hold, int(seed), min_samples=EVIDENCE["min_samples"]
        )
        if learn.size < 1:
            raise ValueError("draw and label some digits first: there is nothing to learn from")
        own_x = own_pixels.astype(net.dtype) / 255
        x, y, n_mnist = mix_with_mnist(
            own_x[learn], own_labels[learn], mnist_train[0], mnist_train[1], share, seed
        )
        self.settings = Settings.from_dict(
            {
                **_architecture(net),
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
        self.counts = {
            "learn": int(learn.size),
            "held_out": int(held.size),
            "mnist": n_mnist,
            "learn_per_digit": _per_digit(own_labels[learn]),
            "held_out_per_digit": _per_digit(own_labels[held]),
        }
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
        """Accuracy before and after (so far), how far the run got, the counts and the verdict."""
        after = self.scores()
        return {
            "before": self.before,
            "after": after,
            "step": self.trainer.step,
            "total_steps": self.trainer.total_steps,
            "done": self.trainer.done,
            "counts": self.counts,
            "verdict": self.verdict(after),
        }

    def verdict(self, after: dict | None = None) -> dict:
        """Did it generalise to the held-out drawings? Said only with enough of them.

        Returns ``{"kind", "sentence", "held_out", "digits", "held_out_per_digit"}``: ``kind``
        is ``too_few``, ``generalised``, ``unchanged`` or ``worse``; ``digits`` counts the
        digits among the held-out drawings.
        """
        after = self.scores() if after is None else after
        per_digit = self.counts["held_out_per_digit"]
        n, digits = sum(per_digit), sum(1 for c in per_digit if c)
        listed = ", ".join(f"{c} of digit {d}" for d, c in enumerate(per_digit) if c)
        evidence = {"held_out": n, "digits": digits, "held_out_per_digit": per_digit}
        if n < EVIDENCE["min_held_out"] or digits < EVIDENCE["min_digits"]:
            held = (
                f"{n} of your drawings {'is' if n == 1 else 'are'} held out ({listed})"
                if n
                else ("none of your drawings is held out")
            )
            sentence = (
                f"Too few drawings to tell: {held}. Saying whether it generalised needs at least "
                f"{EVIDENCE['min_held_out']} held-out drawings of {EVIDENCE['min_digits']} or more "
                f"digits; a digit gives one from {EVIDENCE['min_samples']} drawings on, two from "
                "eight on. Draw more of each digit."
            )
            return {"kind": "too_few", "sentence": sentence, **evidence}
        before_pct, after_pct = _percent(self.before["held_out"]), _percent(after["held_out"])
        on = f"the {n} drawings of yours it never trained on ({listed})"
        if after["held_out"] > self.before["held_out"]:
            kind, sentence = "generalised", f"It generalised: on {on}, {before_pct} → {after_pct}."
        elif after["held_out"] == self.before["held_out"]:
            kind, sentence = "unchanged", f"No change on {on}: {before_pct} → {after_pct}."
        else:
            kind, sentence = "worse", f"It got worse on {on}: {before_pct} → {after_pct}."
        return {"kind": kind, "sentence": sentence, **evidence}


def _per_digit(labels: np.ndarray) -> list[int]:
    return np.bincount(np.asarray(labels, dtype=np.intp), minlength=10)[:10].tolist()


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"
