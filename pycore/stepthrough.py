"""The step-through: one training step cut into the operations a learner reads one at a time.

:func:`steps` turns the trace of :meth:`Network.train_step` into an ordered list of steps:
for each layer ``z = W a + b`` then ``a = f(z)``; the loss; then, from the output down, ``dL/da``,
``dL/dz``, ``dL/dW`` and ``dL/db``; then the update of every layer and the loss after it. Each
step names the tensors it shows, the equation, a plain-words explanation and the lines of
pycore's own source that computed it (read with :mod:`inspect`, so they cannot drift).
"""

from __future__ import annotations

import inspect
from functools import cache

from . import layers, losses


@cache
def _source(obj) -> tuple[str, int, list[str]]:
    lines, start = inspect.getsourcelines(obj)
    path = inspect.getsourcefile(obj) or "?"
    module = path.replace("\\", "/").rsplit("/pycore/", 1)[-1]
    return f"pycore/{module}", start, [line.rstrip("\n") for line in lines]


def source(obj, *needles: str) -> dict:
    """The source of ``obj`` with the lines containing any of ``needles`` marked."""
    path, start, lines = _source(obj)
    marked = [
        start + i
        for i, line in enumerate(lines)
        if not line.lstrip().startswith("#") and any(n in line for n in needles)
    ]
    return {"file": path, "start": start, "lines": lines, "highlight": marked}


def _loss_forward(loss):
    return source(type(loss).forward, "return")


def steps(trace: dict, net, optimizer) -> list[dict]:
    """The ordered steps of a traced training step (see the module docstring)."""
    n = len(trace["forward"])
    out: list[dict] = []

    def add(phase, layer, title, tensors, equation, explain, src):
        out.append(
            {
                "phase": phase,
                "layer": layer,
                "title": title,
                "tensors": tensors,
                "equation": equation,
                "explain": explain,
                "source": src,
            }
        )

    for i in range(n):
        act = net.layers[i].activation
        k = i + 1
        inp = "x" if i == 0 else f"a{i}"
        add(
            "forward",
            i,
            f"Layer {k}: weighted sums",
            [f"forward.{i}.x", f"forward.{i}.W", f"forward.{i}.b", f"forward.{i}.z"],
            rf"z^{{[{k}]}} = W^{{[{k}]}} {inp if i == 0 else f'a^{{[{i}]}}'} + b^{{[{k}]}}",
            f"Each of the {net.layers[i].n_out} neurons of layer {k} multiplies every input by its "
            "weight, adds them up and adds its bias. The result z is the neuron's 'pre-activation'.",
            source(layers.Dense.apply, "z = "),
        )
        add(
            "forward",
            i,
            f"Layer {k}: activation ({act.name})",
            [f"forward.{i}.z", f"forward.{i}.a"],
            rf"a^{{[{k}]}} = {act.name}(z^{{[{k}]}})",
            _ACTIVATION_WORDS.get(act.name, "The activation function is applied to every z."),
            source(type(act).forward, "return"),
        )
    add(
        "loss",
        None,
        f"Loss ({net.loss.name})",
        ["y", f"forward.{n - 1}.a", "loss"],
        _LOSS_EQUATION[net.loss.name],
        "The loss is one number that says how wrong the output is for this target; training is "
        "the search for parameters that make it small. It is the mean over the batch.",
        _loss_forward(net.loss),
    )
    for i in range(n - 1, -1, -1):
        act = net.layers[i].activation
        k = i + 1
        if i == n - 1:
            add(
                "backward",
                i,
                f"Layer {k}: dL/da from the loss",
                [f"backward.{i}.da"],
                _LOSS_DERIVATIVE[net.loss.name],
                "Backpropagation starts at the loss: how much would the loss change if each "
                "output moved a little?",
                source(type(net.loss).backward, "return"),
            )
        else:
            add(
                "backward",
                i,
                f"Layer {k}: dL/da from layer {k + 1}",
                [f"backward.{i + 1}.dz", f"forward.{i + 1}.W", f"backward.{i}.da"],
                rf"\frac{{\partial L}}{{\partial a^{{[{k}]}}}} = "
                rf"\frac{{\partial L}}{{\partial z^{{[{k + 1}]}}}} W^{{[{k + 1}]}}",
                "Each neuron of this layer fed every neuron above it through a weight, so its "
                "share of the blame is the sum of the blame above, weighted the same way.",
                source(layers.Dense.backward, "dx = "),
            )
        if i == n - 1 and trace["fused"]:
            dz_src = source(losses.CrossEntropy.fused_dz, "return")
            eq = r"\frac{\partial L}{\partial z} = \frac{a - y}{N}"
            words = (
                "Softmax and cross-entropy together have a very simple derivative: the "
                "predicted probabilities minus the one-hot target, divided by the batch size."
            )
        else:
            dz_src = source(type(act).backward, "return")
            eq = (
                rf"\frac{{\partial L}}{{\partial z^{{[{k}]}}}} = {act.name}'(z^{{[{k}]}}) \odot "
                rf"\frac{{\partial L}}{{\partial a^{{[{k}]}}}}"
            )
            words = (
                "The chain rule through the activation: multiply by its slope at z. "
                f"For {act.name}: {act.derivative}."
            )
        add(
            "backward",
            i,
            f"Layer {k}: dL/dz",
            [f"forward.{i}.z", f"backward.{i}.da", f"backward.{i}.dz"],
            eq,
            words,
            dz_src,
        )
        add(
            "backward",
            i,
            f"Layer {k}: dL/dW and dL/db",
            [f"backward.{i}.dz", f"forward.{i}.x", f"backward.{i}.dW", f"backward.{i}.db"],
            rf"\frac{{\partial L}}{{\partial W^{{[{k}]}}}} = \delta^{{[{k}]\top}} "
            rf"{'x' if i == 0 else f'a^{{[{i}]}}'},\quad \frac{{\partial L}}{{\partial b^{{[{k}]}}}} "
            rf"= \sum_n \delta^{{[{k}]}}",
            "A weight's gradient is the blame of the neuron it feeds times the input it carried: "
            "a weight that carried nothing cannot be blamed. The bias gradient is the blame itself.",
            source(layers.Dense.backward, "dW = ", "db = "),
        )
    opt_src = source(type(optimizer).update, "p -= ")
    for i in range(n):
        k = i + 1
        add(
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
            rf"W^{{[{k}]}} \leftarrow W^{{[{k}]}} - \eta \frac{{\partial L}}{{\partial W^{{[{k}]}}}}"
            if optimizer.name == "sgd"
            else optimizer.rule,
            f"Each parameter takes a small step against its gradient (learning rate "
            f"{optimizer.lr:g}), the direction that lowers the loss fastest.",
            opt_src,
        )
    add(
        "after",
        None,
        "Loss after the update",
        ["loss", "loss_after"],
        r"L_{\text{after}} = L(\text{updated } W, b)",
        "The same sample goes through the updated network. If the learning rate is sensible, the "
        "loss is a little lower: that is one step of learning.",
        _loss_forward(net.loss),
    )
    return out


_ACTIVATION_WORDS = {
    "sigmoid": "The sigmoid squashes any number into (0, 1): large z gives almost 1, very negative z almost 0.",
    "tanh": "tanh squashes any number into (-1, 1), centred on 0.",
    "relu": "ReLU keeps positive values and replaces negative ones by 0: the neuron is either on or off.",
    "identity": "The identity leaves z as it is (a linear output).",
    "softmax": "Softmax turns the ten scores into probabilities: all positive, adding up to 1.",
}
_LOSS_EQUATION = {
    "mse": r"L = \frac{1}{N K}\sum_{n,k} (a_{nk} - y_{nk})^2",
    "cross_entropy": r"L = -\frac{1}{N}\sum_n \sum_k y_{nk} \log a_{nk}",
}
_LOSS_DERIVATIVE = {
    "mse": r"\frac{\partial L}{\partial a} = \frac{2 (a - y)}{N K}",
    "cross_entropy": r"\frac{\partial L}{\partial a} = -\frac{y}{N a}",
}
