"""The step-through: one training step cut into the operations a learner reads one at a time.

:func:`steps` turns the trace of :meth:`Network.trace_step` into an ordered list of steps:
for each layer ``z = W a + b`` then ``a = f(z)``; the loss; then, from the output down, ``dL/da``,
``dL/dz``, ``dL/dW`` and ``dL/db``; then the update of every layer and the loss after it. Each
step names the tensors it shows (``tensors``) and the ones it computes (``outputs``), says what
kind of operation it is (``kind``), and carries the equation in LaTeX, a plain-words explanation
and the lines of pycore's own source that computed it (read with :mod:`inspect`, so they cannot
drift from the code that ran).

The equations are written per sample with column vectors, as a textbook does (``z = W x + b``);
the code keeps a batch of samples as the rows of a matrix, so the same product reads
``x @ W.T`` there. The explanations say so where it matters. Nothing here computes network maths.
"""

from __future__ import annotations

import inspect
from functools import cache

from . import layers, losses, network


@cache
def _source(obj) -> tuple[str, int, list[str]]:
    lines, start = inspect.getsourcelines(obj)
    path = inspect.getsourcefile(obj) or "?"
    module = path.replace("\\", "/").rsplit("/pycore/", 1)[-1]
    return f"pycore/{module}", start, [line.rstrip("\n") for line in lines]


def source(obj, *needles: str) -> dict:
    """The source of ``obj`` with the lines containing any of ``needles`` marked.

    Returns ``{file, start, lines, highlight}``: ``start`` is the line number of ``lines[0]`` in
    ``file`` and ``highlight`` lists the marked line numbers (comments are never marked).
    """
    path, start, lines = _source(obj)
    marked = [
        start + i
        for i, line in enumerate(lines)
        if not line.lstrip().startswith("#") and any(n in line for n in needles)
    ]
    return {"file": path, "start": start, "lines": lines, "highlight": marked}


def _loss_forward(loss):
    return source(type(loss).forward, "return")


# LaTeX names of the activations, so KaTeX typesets "sigmoid" as one upright operator.
_ACT_TEX = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\operatorname{ReLU}",
    "identity": r"\operatorname{id}",
    "softmax": r"\operatorname{softmax}",
}
_ACT_SLOPE_TEX = {
    "sigmoid": r"a^{[{k}]} \odot (1 - a^{[{k}]})",
    "tanh": r"(1 - (a^{[{k}]})^2)",
    "relu": r"\mathbb{1}[z^{[{k}]} > 0]",
    "identity": "1",
}


def _name(i: int) -> str:
    """The LaTeX name of layer i's input: x for the first layer, else a^[i]."""
    return "x" if i == 0 else f"a^{{[{i}]}}"


def steps(trace: dict, net, optimizer) -> list[dict]:
    """The ordered steps of a traced training step (see the module docstring)."""
    n = len(trace["forward"])
    out: list[dict] = []
    batch = len(trace["x"])
    per_batch = " (each sample separately)" if batch > 1 else ""

    def add(phase, kind, layer, title, tensors, outputs, equation, explain, src):
        out.append(
            {
                "phase": phase,
                "kind": kind,
                "layer": layer,
                "title": title,
                "tensors": tensors,
                "outputs": outputs,
                "equation": equation,
                "explain": explain,
                "source": src,
            }
        )

    for i in range(n):
        layer = net.layers[i]
        act = layer.activation
        k = i + 1
        what = (
            f"the {layer.n_in} input values"
            if i == 0
            else f"the {layer.n_in} activations of layer {i}"
        )
        add(
            "forward",
            "z",
            i,
            f"Layer {k}: weighted sums",
            [f"forward.{i}.x", f"forward.{i}.W", f"forward.{i}.b", f"forward.{i}.z"],
            [f"forward.{i}.z"],
            rf"z^{{[{k}]}} = W^{{[{k}]}} {_name(i)} + b^{{[{k}]}}",
            f"Each of the {layer.n_out} neurons of layer {k} multiplies {what} by its own "
            f"weights (one row of W), adds the products up and adds its bias{per_batch}. The "
            "result z is the neuron's pre-activation: a score that is not yet squashed. The code "
            "holds samples as rows, so the same product is written x @ W.T there.",
            source(layers.Dense.apply, "z = "),
        )
        add(
            "forward",
            "a",
            i,
            f"Layer {k}: activation ({act.name})",
            [f"forward.{i}.z", f"forward.{i}.a"],
            [f"forward.{i}.a"],
            rf"a^{{[{k}]}} = {_ACT_TEX.get(act.name, act.name)}(z^{{[{k}]}})",
            _ACTIVATION_WORDS.get(act.name, "The activation function is applied to every z."),
            source(type(act).forward, "return"),
        )
    add(
        "loss",
        "loss",
        None,
        f"Loss ({_LOSS_NAMES.get(net.loss.name, net.loss.name)})",
        ["y", f"forward.{n - 1}.a", "loss"],
        ["loss"],
        _LOSS_EQUATION[net.loss.name],
        _LOSS_WORDS[net.loss.name]
        + (f" With {batch} samples it is the mean over all of them." if batch > 1 else ""),
        _loss_forward(net.loss),
    )
    for i in range(n - 1, -1, -1):
        act = net.layers[i].activation
        k = i + 1
        if i == n - 1:
            add(
                "backward",
                "da_loss",
                i,
                f"Layer {k}: dL/da from the loss",
                ["y", f"forward.{i}.a", f"backward.{i}.da"],
                [f"backward.{i}.da"],
                _LOSS_DERIVATIVE[net.loss.name].replace("{k}", str(k)),
                _LOSS_DERIVATIVE_WORDS[net.loss.name]
                + (
                    " (The fused shortcut in the next step does not need it.)"
                    if trace["fused"]
                    else ""
                ),
                source(type(net.loss).backward, "return"),
            )
        else:
            add(
                "backward",
                "da",
                i,
                f"Layer {k}: dL/da from layer {k + 1}",
                [f"backward.{i + 1}.dz", f"forward.{i + 1}.W", f"backward.{i}.da"],
                [f"backward.{i}.da"],
                rf"\frac{{\partial L}}{{\partial a^{{[{k}]}}}} = "
                rf"W^{{[{k + 1}]\top}} \delta^{{[{k + 1}]}}",
                f"Each neuron of layer {k} fed every neuron of layer {k + 1} through a weight, so "
                "its share of the blame is the blame above (delta), weighted by those same "
                "weights and added up: the forward pass run backwards through W transposed.",
                source(layers.Dense.backward, "dx = "),
            )
        if i == n - 1 and trace["fused"]:
            dz_src = source(losses.CrossEntropy.fused_dz, "return")
            eq = (
                rf"\delta^{{[{k}]}} = \frac{{\partial L}}{{\partial z^{{[{k}]}}}} = "
                rf"\frac{{a^{{[{k}]}} - y}}{{N}}"
            )
            words = (
                "Softmax and cross-entropy together have a very simple derivative: the "
                "predicted probabilities minus the one-hot target, divided by the batch size N. "
                "The right digit gets a negative delta (push its score up), every other digit a "
                "positive one (push down), in proportion to the probability it was given."
            )
            tensors = [f"forward.{i}.a", "y", f"backward.{i}.dz"]
        else:
            dz_src = source(type(act).backward, "return")
            slope = _ACT_SLOPE_TEX.get(act.name)
            eq = rf"\delta^{{[{k}]}} = \frac{{\partial L}}{{\partial z^{{[{k}]}}}} = " + (
                slope.replace("{k}", str(k))
                + rf" \odot \frac{{\partial L}}{{\partial a^{{[{k}]}}}}"
                if slope
                else rf"J_{{\operatorname{{softmax}}}}^\top \frac{{\partial L}}{{\partial a^{{[{k}]}}}}"
            )
            words = _SLOPE_WORDS.get(
                act.name, f"The chain rule through the activation: {act.derivative}."
            )
            tensors = [f"forward.{i}.z", f"forward.{i}.a", f"backward.{i}.da", f"backward.{i}.dz"]
        add(
            "backward",
            "dz",
            i,
            f"Layer {k}: dL/dz",
            tensors,
            [f"backward.{i}.dz"],
            eq,
            words + " This delta is the blame of each neuron of the layer.",
            dz_src,
        )
        add(
            "backward",
            "dW",
            i,
            f"Layer {k}: dL/dW and dL/db",
            [f"backward.{i}.dz", f"forward.{i}.x", f"backward.{i}.dW", f"backward.{i}.db"],
            [f"backward.{i}.dW", f"backward.{i}.db"],
            rf"\frac{{\partial L}}{{\partial W^{{[{k}]}}}} = \sum_n \delta^{{[{k}]}}_n "
            rf"{_name(i)}_n^{{\top}},\quad \frac{{\partial L}}{{\partial b^{{[{k}]}}}} "
            rf"= \sum_n \delta^{{[{k}]}}_n",
            "A weight's gradient is the blame (delta) of the neuron it feeds times the input it "
            "carried: a weight that carried nothing cannot be blamed. The bias gradient is the "
            "blame itself. dW has the same shape as W, one number per weight"
            + (", summed over the samples of the batch." if batch > 1 else "."),
            source(layers.Dense.backward, "dW = ", "db = "),
        )
    opt_src = source(type(optimizer).update, "p -= ")
    for i in range(n):
        k = i + 1
        add(
            "update",
            "update",
            i,
            f"Layer {k}: update",
            [
                f"forward.{i}.W",
                f"backward.{i}.dW",
                f"update.{i}.W",
                f"forward.{i}.b",
                f"backward.{i}.db",
                f"update.{i}.b",
            ],
            [f"update.{i}.W", f"update.{i}.b"],
            rf"W^{{[{k}]}} \leftarrow W^{{[{k}]}} - \eta \frac{{\partial L}}{{\partial W^{{[{k}]}}}},"
            rf"\quad b^{{[{k}]}} \leftarrow b^{{[{k}]}} - \eta \frac{{\partial L}}{{\partial b^{{[{k}]}}}}"
            if optimizer.name == "sgd"
            else optimizer.rule,
            f"Each parameter takes a small step against its gradient, scaled by the learning "
            f"rate eta = {optimizer.lr:g}. The gradient points the way the loss rises fastest, so "
            "the step goes the other way. The same line updates every weight and bias, one array "
            "at a time, in place.",
            opt_src,
        )
    before, after = trace["loss"], trace["loss_after"]
    if after < before:
        change = f"The loss fell from {before:.6g} to {after:.6g}: that is one step of learning."
    elif after > before:
        change = (
            f"The loss rose from {before:.6g} to {after:.6g}: the step overshot. A smaller "
            "learning rate would have helped."
        )
    else:
        change = "The loss did not change: the gradient was zero (or too small to matter)."
    add(
        "after",
        "after",
        None,
        "Loss after the update",
        ["loss", "loss_after"],
        ["loss_after"],
        r"L_{\text{after}} = L\big(f(x;\, W - \eta\, \partial L/\partial W,\ "
        r"b - \eta\, \partial L/\partial b),\ y\big)",
        "The same sample goes through the updated network once more and the loss is measured "
        "again. " + change,
        source(network.Network.evaluate_loss, "return"),
    )
    return out


_ACTIVATION_WORDS = {
    "sigmoid": (
        "The sigmoid squashes any number into (0, 1): a large z gives almost 1, a very negative z "
        "almost 0, and z = 0 gives exactly 0.5."
    ),
    "tanh": "tanh squashes any number into (-1, 1), centred on 0.",
    "relu": (
        "ReLU keeps positive values and replaces negative ones by 0: each neuron is either on "
        "(passing its score through) or off."
    ),
    "identity": "The identity leaves z as it is (a linear output).",
    "softmax": (
        "Softmax turns the scores into probabilities: e to the power of each score, divided by "
        "their sum, so all are positive and they add up to 1. The largest score gets the largest "
        "share."
    ),
}
_SLOPE_WORDS = {
    "sigmoid": (
        "The chain rule through the activation, neuron by neuron: multiply dL/da by the "
        "sigmoid's slope at z, which is a(1 - a). The slope is at most 0.25 (at z = 0) and almost "
        "0 when the neuron is saturated near 0 or 1, which is why gradients shrink there."
    ),
    "tanh": (
        "The chain rule through the activation: multiply dL/da by tanh's slope, 1 - a^2, which is "
        "1 at z = 0 and almost 0 when the neuron is saturated."
    ),
    "relu": (
        "The chain rule through ReLU: its slope is 1 where z > 0 and 0 elsewhere, so the blame "
        "passes unchanged through neurons that were on and stops at neurons that were off."
    ),
    "identity": "The identity's slope is 1: dL/dz is simply dL/da.",
    "softmax": (
        "Every probability of a softmax depends on every score, so dL/dz mixes all outputs: "
        "a * (dL/da - sum of dL/da * a)."
    ),
}
_LOSS_NAMES = {"mse": "mean squared error", "cross_entropy": "cross-entropy"}
_LOSS_EQUATION = {
    "mse": r"L = \frac{1}{N K}\sum_{n=1}^{N}\sum_{k=1}^{K} (a_{nk} - y_{nk})^2",
    "cross_entropy": r"L = -\frac{1}{N}\sum_{n=1}^{N} \sum_{k=1}^{K} y_{nk} \log a_{nk}",
}
_LOSS_WORDS = {
    "mse": (
        "The loss is one number that says how wrong the output is: the difference between "
        "output and target, squared (so misses in either direction count, and big misses count "
        "more), averaged over the N samples and K outputs. Training searches for weights that "
        "make it small."
    ),
    "cross_entropy": (
        "Cross-entropy looks only at the probability p the network gave to the right answer and "
        "costs -log p: 0 when the network is sure and right, large when it gave the right answer "
        "a small probability. Training searches for weights that make it small."
    ),
}
_LOSS_DERIVATIVE = {
    "mse": r"\frac{\partial L}{\partial a^{[{k}]}} = \frac{2\,(a^{[{k}]} - y)}{N K}",
    "cross_entropy": r"\frac{\partial L}{\partial a^{[{k}]}} = -\frac{y}{N\, a^{[{k}]}}",
}
_LOSS_DERIVATIVE_WORDS = {
    "mse": (
        "Backpropagation starts at the loss: how much would the loss change if each output "
        "moved up a little? For a squared error the answer is 2 (a - y), divided by the N K "
        "terms of the mean. A negative value means: a larger output would lower the loss."
    ),
    "cross_entropy": (
        "Backpropagation starts at the loss: how much would the loss change if each output "
        "moved up a little? Only the right answer's output appears in the loss, so only it has a "
        "slope, -1 / (N a): raising its probability lowers the loss."
    ),
}
