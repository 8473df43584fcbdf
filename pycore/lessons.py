"""The worked examples of the classic "neural network from scratch" path, as named lessons.

Each lesson builds its network and data exactly as the text does, runs, and returns its results
as plain numbers plus a few lines for a person to read. The CLI prints them
(``python -m pycore lesson NAME``); the page runs the same functions and steps through the
same networks.

1. ``neuron``: one sigmoid neuron, w = [0, 1], b = 4, x = [2, 3].
2. ``network``: a 2-2-1 sigmoid network, every weight [0, 1], every bias 0, x = [2, 3].
3. ``mse``: the mean squared error of all-zero predictions against [1, 0, 0, 1].
4. ``weight-height``: backprop by hand on Alice, then per-sample SGD on four people.
5. ``mnist-784-10-10``: ReLU hidden layer, softmax output, full-batch gradient descent on MNIST.
6. ``cnn``: a first convolutional network, conv 8@3x3, max-pool, softmax (:mod:`pycore.lesson_cnn`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import lesson_cnn
from .data import Subset, load_subset
from .losses import LOSSES
from .metrics import accuracy
from .network import Network
from .optim import SGD

Progress = Callable[[int, int], None]


TraceInput = tuple[Network, np.ndarray, np.ndarray, dict]


@dataclass(frozen=True)
class Lesson:
    """A worked example: how to run it, and the network and sample its step-through starts from.

    ``loss`` names the loss of the traced network. ``samples`` lists the labels of the samples a
    person can choose for the step-through (``sample_kind`` says what they are: ``person``, or
    ``digit`` for a held-out digit chosen by number). ``uses_digits``: ``run`` and
    ``trace_input`` need the digit subset.
    """

    name: str
    title: str
    summary: str
    run: Callable[..., dict]
    trace: Callable[[int, Subset | None], TraceInput] | None = None
    loss: str = "mse"
    samples: tuple[str, ...] = ()
    sample_kind: str | None = None
    uses_digits: bool = False

    @property
    def traceable(self) -> bool:
        return self.trace is not None

    def trace_input(self, sample: int = 0, subset: Subset | None = None) -> TraceInput:
        """``(net, x, y, about)`` for one training step of this lesson's network.

        ``x`` (batch, n_in) and ``y`` (labels or targets) are the sample(s); ``about`` describes
        them for the page (``lesson``, ``sample``, and for a digit its ``label`` and ``index``).
        """
        if self.trace is None:
            raise ValueError(f"the lesson {self.name!r} has no step-through")
        if self.uses_digits and subset is None:
            subset = load_subset()
        return self.trace(int(sample), subset)

    def describe(self) -> dict:
        """The lesson as JSON-able data for the page."""
        return {
            "name": self.name,
            "title": self.title,
            "summary": self.summary,
            "loss": self.loss,
            "loss_label": LOSSES[self.loss].label,
            "samples": list(self.samples),
            "sample_kind": self.sample_kind,
            "traceable": self.traceable,
        }


def neuron_network() -> Network:
    """One sigmoid neuron with w = [0, 1] and b = 4 (float64, as the text computes)."""
    net = Network.build([2, 1], "sigmoid", "mse", dtype=np.float64)
    net.layers[0].W[:] = [[0, 1]]
    net.layers[0].b[:] = 4
    return net


def two_layer_network() -> Network:
    """The 2-2-1 sigmoid network whose neurons all have w = [0, 1] and b = 0."""
    net = Network.build([2, 2, 1], "sigmoid", "mse", dtype=np.float64)
    for layer in net.layers:
        layer.W[:] = [0, 1]
        layer.b[:] = 0
    return net


NEURON_X = np.array([[2.0, 3.0]])


def run_neuron(progress: Progress | None = None) -> dict:
    output = float(neuron_network().predict_proba(NEURON_X)[0, 0])
    return {
        "output": output,
        "lines": [f"sigmoid(w . x + b) = sigmoid(0*2 + 1*3 + 4) = {output!r}"],
    }


def run_network(progress: Progress | None = None) -> dict:
    net = two_layer_network()
    hidden = net.layers[0].apply(NEURON_X)[1][0]
    output = float(net.predict_proba(NEURON_X)[0, 0])
    return {
        "hidden": [float(h) for h in hidden],
        "output": output,
        "lines": [
            f"h1 = h2 = sigmoid(0*2 + 1*3 + 0) = {float(hidden[0])!r}",
            f"o1 = sigmoid(0*h1 + 1*h2 + 0) = {output!r}",
        ],
    }


def run_mse(progress: Progress | None = None) -> dict:
    y_true = np.array([[1.0], [0.0], [0.0], [1.0]])
    y_pred = np.zeros_like(y_true)
    net = Network.build([1, 1], "identity", "mse", dtype=np.float64)
    value = net.loss.forward(y_pred, y_true)
    return {"loss": value, "lines": [f"MSE([1, 0, 0, 1], [0, 0, 0, 0]) = {value!r}"]}


# Weight (lb) minus 135 and height (in) minus 66, as in the text; F = 1, M = 0.
PEOPLE = {"Alice": [-2, -1], "Bob": [25, 6], "Charlie": [17, 4], "Diana": [-15, -6]}
GENDER = {"Alice": 1, "Bob": 0, "Charlie": 0, "Diana": 1}
NEW_PEOPLE = {"Emily": [-7, -3], "Frank": [20, 2]}
WEIGHT_HEIGHT_SEED = 0


def weight_height_data() -> tuple[np.ndarray, np.ndarray]:
    x = np.array(list(PEOPLE.values()), dtype=np.float64)
    y = np.array([[GENDER[name]] for name in PEOPLE], dtype=np.float64)
    return x, y


def weight_height_network(seed: int | None = WEIGHT_HEIGHT_SEED) -> Network:
    """The 2-2-1 sigmoid network: normal initial weights, or all ones (``seed=None``)."""
    rng = np.random.default_rng(seed)
    net = Network.build([2, 2, 1], "sigmoid", "mse", rng=rng, init="normal", dtype=np.float64)
    if seed is None:
        for layer in net.layers:
            layer.W[:] = 1
            layer.b[:] = 0
    return net


def run_weight_height(
    progress: Progress | None = None, epochs: int = 1000, lr: float = 0.1
) -> dict:
    x, y = weight_height_data()
    hand = weight_height_network(seed=None)
    hand.train_step(x[:1], y[:1], SGD(lr))  # Alice alone, all weights 1, biases 0
    alice_grads = {k: g.tolist() for k, g in hand.gradients().items()}

    net = weight_height_network()
    optimizer = SGD(lr)
    losses = []
    for epoch in range(epochs):
        for i in range(len(x)):  # per-sample SGD, in the text's order
            net.train_step(x[i : i + 1], y[i : i + 1], optimizer)
        losses.append(net.evaluate_loss(x, y))
        if progress:
            progress(epoch + 1, epochs)
    new = np.array(list(NEW_PEOPLE.values()), dtype=np.float64)
    predictions = dict(zip(NEW_PEOPLE, net.predict_proba(new)[:, 0].tolist(), strict=True))
    lines = [f"Alice, all weights 1: dL/dw1 = {alice_grads['layers.0.W'][0][0]:.4f}"]
    lines += [
        f"epoch {e:4d} loss {losses[e - 1]:.4f}"
        for e in sorted({1, 10, 100, 500, epochs})
        if e <= epochs
    ]
    lines += [f"{name}: {p:.3f} ({'F' if p > 0.5 else 'M'})" for name, p in predictions.items()]
    return {
        "alice_grads": alice_grads,
        "losses": losses,
        "predictions": predictions,
        "lines": lines,
    }


MNIST_SEED = 0


def mnist_784_10_10(seed: int = MNIST_SEED) -> Network:
    """784-10-10: ReLU hidden layer, softmax output.

    The text draws weights from U(-0.5, 0.5); He initialisation (variance 2 / n_in) suits a ReLU
    layer better and reaches about 89% instead of 82% in the same 500 steps.
    """
    return Network.build(
        [784, 10, 10],
        ["relu", "softmax"],
        "cross_entropy",
        rng=np.random.default_rng(seed),
        init="he",
        dtype=np.float32,
    )


def run_mnist(
    progress: Progress | None = None,
    subset: Subset | None = None,
    iterations: int = 500,
    lr: float = 0.1,
) -> dict:
    subset = subset if subset is not None else load_subset()
    x, labels = subset.train.images(), subset.train.labels
    net = mnist_784_10_10()
    optimizer = SGD(lr)
    losses = []
    for i in range(iterations):  # full batch: every step sees all 8,000 digits
        losses.append(net.train_step(x, labels, optimizer))
        if progress:
            progress(i + 1, iterations)
    train_acc = accuracy(net.predict(x), labels)
    test_acc = accuracy(net.predict(subset.test.images()), subset.test.labels)
    lines = [f"iteration {i:3d} loss {losses[i - 1]:.4f}" for i in (1, 100, 250, iterations)]
    lines += [f"train accuracy: {train_acc:.4f}", f"test accuracy: {test_acc:.4f}"]
    return {
        "losses": losses,
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "lines": lines,
        "network": net,
    }


# --- what each lesson's step-through steps through ---------------------------------------------
_X_23 = "x = [2, 3], target 1"


def _about(lesson: str, sample: str) -> dict:
    return {"lesson": lesson, "sample": sample}


NEURON_NOTE = (
    "The text's neuron only computes its output, 0.9990889488055994. Here it is also trained, "
    "towards target 0 with mean squared error, so one step of gradient descent moves w and b "
    "and lowers the loss. It starts saturated (z = 7, where the sigmoid's slope is only "
    "0.00091), so a step moves it little at learning rate 0.1; try 1."
)


def trace_neuron(sample: int, subset: Subset | None) -> TraceInput:
    """The single neuron on x = [2, 3] with target 0, trained by one step (see NEURON_NOTE)."""
    about = {**_about("neuron", "x = [2, 3], target 0"), "note": NEURON_NOTE}
    return neuron_network(), NEURON_X.copy(), np.array([[0.0]]), about


def trace_network(sample: int, subset: Subset | None) -> TraceInput:
    """The 2-2-1 network on x = [2, 3] with target 1."""
    return two_layer_network(), NEURON_X.copy(), np.array([[1.0]]), _about("network", _X_23)


def trace_mse(sample: int, subset: Subset | None) -> TraceInput:
    """One linear neuron that knows nothing yet (weight 0, bias 0, inputs 0): it predicts 0 for
    the four people whose targets are [1, 0, 0, 1], the lesson's loss of 0.5."""
    net = Network.build([1, 1], "identity", "mse", dtype=np.float64)
    net.layers[0].W[:] = 0
    x = np.zeros((len(GENDER), 1))
    y = np.array([[float(g)] for g in GENDER.values()])
    what = "four people, targets [1, 0, 0, 1]; the neuron predicts 0 for everyone"
    return net, x, y, _about("mse", what)


def trace_weight_height(sample: int, subset: Subset | None) -> TraceInput:
    """One of the four people (``sample``, wrapping; 0 = Alice) with every weight 1 and bias 0,
    as derived by hand."""
    who = list(PEOPLE)[sample % len(PEOPLE)]
    w, h = PEOPLE[who]
    x = np.array([PEOPLE[who]], dtype=np.float64)
    y = np.array([[float(GENDER[who])]])
    what = f"{who}: weight-135 = {w}, height-66 = {h}, F = {GENDER[who]}"
    return weight_height_network(seed=None), x, y, _about("weight-height", what)


def trace_mnist(sample: int, subset: Subset | None) -> TraceInput:
    """The lesson's fresh 784-10-10 network on held-out digit ``sample`` (wrapping)."""
    digits = subset.test
    index = sample % len(digits)
    label = int(digits.labels[index])
    x = digits.pixels[index : index + 1].astype(np.float32) / np.float32(255)
    about = {
        **_about("mnist-784-10-10", f"held-out digit #{index}, a {label}"),
        "label": label,
        "index": index,
    }
    return mnist_784_10_10(), x, np.array([label]), about


LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (
        Lesson(
            "neuron",
            "A single neuron",
            "w = [0, 1], b = 4, x = [2, 3] through a sigmoid",
            run_neuron,
            trace_neuron,
        ),
        Lesson(
            "network",
            "A 2-2-1 network",
            "two hidden sigmoid neurons feed one output",
            run_network,
            trace_network,
        ),
        Lesson(
            "mse", "Mean squared error", "how wrong are all-zero predictions?", run_mse, trace_mse
        ),
        Lesson(
            "weight-height",
            "Backprop and SGD",
            "predict gender from weight and height",
            run_weight_height,
            trace_weight_height,
            samples=tuple(PEOPLE),
            sample_kind="person",
        ),
        Lesson(
            "mnist-784-10-10",
            "Digits by gradient descent",
            "784-10-10, full batch, 500 steps",
            run_mnist,
            trace_mnist,
            loss="cross_entropy",
            sample_kind="digit",
            uses_digits=True,
        ),
        Lesson(
            "cnn",
            "A first convolutional network",
            "conv 8@3x3, 2x2 max-pool, softmax; per-digit SGD on 1,000 digits, 3 epochs",
            lesson_cnn.run,
            lesson_cnn.trace,
            loss="cross_entropy",
            sample_kind="digit",
            uses_digits=True,
        ),
    )
}
"""The lessons in the order they are taught."""


def catalog() -> list[dict]:
    """Every lesson as JSON-able data for the page (see :meth:`Lesson.describe`)."""
    return [lesson.describe() for lesson in LESSONS.values()]
