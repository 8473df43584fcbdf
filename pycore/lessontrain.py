"""The lesson networks trained for many steps, as the text trains them: per-sample SGD by epochs.

``python -m pycore lesson weight-height`` trains the 2-2-1 network on the four people for 1000
epochs (each epoch one step per person, in the text's order) and then predicts Emily and Frank.
A :class:`LessonRun` does the same, a slice of epochs at a time, so the page can draw the loss
falling; for the same settings its numbers are the CLI's (the same network, the same steps, the
same order): to the last bit in one Python, and as printed in the browser, whose ``exp`` may
round the last bit of a float differently from the CPython build's. It keeps the parameters at
the start of every epoch, so the step-through can open at epoch k, sample n
(:meth:`LessonRun.replay`) without training again.

Three lessons train (:data:`COURSES`): ``weight-height``; ``network``, the 2-2-1 network of the
worked example (every neuron w = [0, 1], b = 0) on four points of the plane; and ``neuron``, the
single neuron trained towards target 0 on x = [2, 3]. The others either have nothing to train
(``mse``) or train on the digits (``mnist-784-10-10``, which the Train view runs).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .lessons import (
    GENDER,
    NEURON_X,
    NEW_PEOPLE,
    PEOPLE,
    WEIGHT_HEIGHT_SEED,
    neuron_network,
    two_layer_network,
    weight_height_data,
    weight_height_network,
)
from .network import Network
from .optim import SGD


def _seeded(fixed: Callable[[], Network]) -> Callable[[int | None], Network]:
    """The lesson's fixed network for seed None, else the same shape with normal weights."""

    def build(seed: int | None) -> Network:
        if seed is None:
            return fixed()
        like = fixed()
        acts = like.activations
        rng = np.random.default_rng(seed)
        return Network.build(like.sizes, acts, "mse", rng=rng, init="normal", dtype=np.float64)

    return build


@dataclass(frozen=True)
class Course:
    """How a lesson's network is trained: its data, starting network and default settings.

    ``x``: (n, n_in) float64, ``y``: (n, 1) targets, ``samples`` names each row; ``network(seed)``
    builds the starting network; ``examples`` are the inputs predicted after training.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    samples: tuple[str, ...]
    network: Callable[[int | None], Network]
    lr: float
    epochs: int
    seed: int | None
    examples: dict[str, list[float]]
    note: str


def _weight_height() -> Course:
    x, y = weight_height_data()
    return Course(
        "weight-height",
        x,
        y,
        tuple(
            f"{who}: weight-135 = {w}, height-66 = {h}, F = {GENDER[who]}"
            for who, (w, h) in PEOPLE.items()
        ),
        weight_height_network,
        lr=0.1,
        epochs=1000,
        seed=WEIGHT_HEIGHT_SEED,
        examples=dict(NEW_PEOPLE),
        note="Per-sample SGD as in the text: each epoch takes one step per person, in order. "
        "The output is the network's belief that the person is female (F = 1, M = 0).",
    )


NETWORK_POINTS = {"A": [2.0, 3.0], "B": [3.0, -1.0], "C": [-1.0, -2.0], "D": [-2.0, 1.0]}
NETWORK_TARGETS = {"A": 1.0, "B": 1.0, "C": 0.0, "D": 0.0}


def _network() -> Course:
    x = np.array(list(NETWORK_POINTS.values()))
    y = np.array([[t] for t in NETWORK_TARGETS.values()])
    return Course(
        "network",
        x,
        y,
        tuple(f"{k} = {v}, target {NETWORK_TARGETS[k]:g}" for k, v in NETWORK_POINTS.items()),
        _seeded(two_layer_network),
        lr=0.1,
        epochs=1000,
        seed=None,
        examples={"A": NETWORK_POINTS["A"], "[0, 0]": [0.0, 0.0], "[4, 0]": [4.0, 0.0]},
        note="Four points, target 1 where the first coordinate is positive. The two hidden "
        "neurons start with the same weights, so they get the same gradients and stay equal: "
        "this is why real networks start from random weights (give a seed to try that).",
    )


def _neuron() -> Course:
    return Course(
        "neuron",
        NEURON_X.copy(),
        np.array([[0.0]]),
        ("x = [2, 3], target 0",),
        _seeded(neuron_network),
        lr=1.0,
        epochs=200,
        seed=None,
        examples={"x = [2, 3]": [2.0, 3.0]},
        note="The text's neuron only computes its output; here it is trained towards 0. It "
        "starts saturated (z = 7, where the sigmoid's slope is 0.00091), so the first steps "
        "move it little; once z nears 0 the loss falls fast.",
    )


COURSES: dict[str, Callable[[], Course]] = {
    "weight-height": _weight_height,
    "network": _network,
    "neuron": _neuron,
}
"""The lessons that train for many steps, by name."""


def course(name: str) -> Course:
    if name not in COURSES:
        trainable = ", ".join(COURSES)
        raise ValueError(f"the lesson {name!r} does not train for many steps; try {trainable}")
    return COURSES[name]()


def _positive(value, what: str, kind: type) -> float | int:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"the {what} must be a number, not {value!r}") from None
    if not np.isfinite(number) or number <= 0 or number != float(value):
        raise ValueError(f"the {what} must be a positive {kind.__name__}, not {value!r}")
    return number


MAX_EPOCHS = 100_000


class LessonRun:
    """One training of a lesson's network, a slice of epochs at a time.

    ``epochs``, ``lr`` and ``seed`` default to the course's; the loss (mean over all samples)
    is reported after epoch 1, every ``every`` epochs and after the last.
    """

    def __init__(
        self,
        name: str,
        epochs: int | None = None,
        lr: float | None = None,
        seed: int | None = None,
        every: int = 1,
    ):
        self.course = c = course(name)
        self.epochs = (
            c.epochs if epochs is None else int(_positive(epochs, "number of epochs", int))
        )
        if self.epochs > MAX_EPOCHS:
            raise ValueError(f"at most {MAX_EPOCHS:,} epochs")
        self.lr = c.lr if lr is None else float(_positive(lr, "learning rate", float))
        self.seed = c.seed if seed is None else int(seed)
        self.every = int(_positive(every, "reporting interval", int))
        self.net = c.network(self.seed)
        self.optimizer = SGD(self.lr)
        self.epoch = 0
        self.reported: list[int] = []
        self.losses: list[float] = []
        # The parameters at the start of each epoch: starts[k] before epoch k + 1.
        self.starts = [self._parameters()]

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs

    def _parameters(self) -> dict[str, np.ndarray]:
        return {k: p.copy() for k, p in self.net.parameters().items()}

    def _train_epoch(self, net: Network, optimizer: SGD, stop: int | None = None) -> None:
        """One epoch of per-sample SGD in the data's order (the first ``stop`` samples only)."""
        x, y = self.course.x, self.course.y
        for i in range(len(x) if stop is None else stop):
            net.train_step(x[i : i + 1], y[i : i + 1], optimizer)

    def run(self, max_seconds: float | None = None) -> dict:
        """Train until the last epoch or until ``max_seconds`` have passed (at least one epoch).

        Returns the epochs reported in this slice and their losses, and, once done, the
        predictions for the course's examples.
        """
        start = time.perf_counter()
        epochs, losses = [], []
        x, y = self.course.x, self.course.y
        trained = 0
        while not self.done:
            if max_seconds is not None and trained and time.perf_counter() - start >= max_seconds:
                break
            self._train_epoch(self.net, self.optimizer)
            self.epoch += 1
            trained += 1
            self.starts.append(self._parameters())
            if self.epoch == 1 or self.epoch % self.every == 0 or self.epoch == self.epochs:
                epochs.append(self.epoch)
                losses.append(self.net.evaluate_loss(x, y))
        self.reported += epochs
        self.losses += losses
        return {
            "lesson": self.course.name,
            "epoch": self.epoch,
            "epochs_total": self.epochs,
            "epochs": epochs,
            "losses": losses,
            "done": self.done,
            "settings": self.settings(),
            "predictions": self.predictions() if self.done else None,
            "note": self.course.note,
        }

    def settings(self) -> dict:
        return {"epochs": self.epochs, "lr": self.lr, "seed": self.seed, "every": self.every}

    def predict(self, inputs) -> np.ndarray:
        """The network's output for ``inputs`` (n, n_in) or a flat list of n * n_in numbers."""
        n_in = self.net.sizes[0]
        x = np.asarray(inputs, dtype=np.float64).reshape(-1)
        if x.size == 0 or x.size % n_in:
            raise ValueError(f"give {n_in} numbers per input, not {x.size} in all")
        if not np.all(np.isfinite(x)):
            raise ValueError("every input must be a finite number")
        return self.net.predict_proba(x.reshape(-1, n_in))[:, 0]

    def predictions(self) -> list[dict]:
        """``[{"name", "input", "output"}]`` for the course's examples."""
        names = list(self.course.examples)
        inputs = np.array([self.course.examples[n] for n in names], dtype=np.float64)
        outputs = self.predict(inputs)
        return [
            {"name": n, "input": [float(v) for v in inputs[i]], "output": float(outputs[i])}
            for i, n in enumerate(names)
        ]

    def replay(self, epoch: int, sample: int) -> tuple[Network, np.ndarray, np.ndarray, dict]:
        """``(net, x, y, about)`` just before the step on ``sample`` in epoch ``epoch`` (1-based).

        The network is a copy at that point; the run itself is untouched. Epochs not trained
        yet are trained on the copy, from the last kept start, the same way.
        """
        epoch = int(epoch)
        if not 1 <= epoch <= self.epochs:
            raise ValueError(f"the epoch must be between 1 and {self.epochs}, not {epoch}")
        n = len(self.course.x)
        sample = int(sample) % n
        net = self.net.copy()
        reached = min(epoch - 1, len(self.starts) - 1)
        net.set_parameters(self.starts[reached])
        optimizer = SGD(self.lr)
        for _ in range(reached, epoch - 1):
            self._train_epoch(net, optimizer)
        self._train_epoch(net, optimizer, stop=sample)
        about = {
            "lesson": self.course.name,
            "sample": f"{self.course.samples[sample]} (epoch {epoch}, step {sample + 1} of {n})",
            "epoch": epoch,
            "sample_index": sample,
            "note": self.course.note,
        }
        x, y = self.course.x[sample : sample + 1].copy(), self.course.y[sample : sample + 1].copy()
        return net, x, y, about
