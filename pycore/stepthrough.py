"""The step-through: one training step cut into the operations a learner reads one at a time.

:func:`steps` turns the trace of :meth:`Network.trace_step` into an ordered list of steps:
for each layer ``z = W a + b`` then ``a = f(z)``; the loss; then, from the output down, ``dL/da``,
``dL/dz``, ``dL/dW`` and ``dL/db``; then the update of every layer and the loss after it. Each
step names the tensors it shows (``tensors``) and the ones it computes (``outputs``), says what
kind of operation it is (``kind``), and carries the equation in LaTeX, a plain-words explanation
and the lines of pycore's own source that computed it (read with :mod:`inspect`, so they cannot
drift from the code that ran).

For a convolutional network the same list also has, in the forward pass, the input image, each
convolution (filters, feature maps before and after the activation), each max-pool (pooled maps
and the winning positions) and the flattening; in the backward pass dL/d(feature map), dL/dK
per filter, how the gradient passes back through pooling and flattening, and dL/d(input) as an
image; and the update of the filters. Those steps' equations carry the numbers of one chosen
output position (``position``, see :func:`steps`) and name it in the step's ``position``.

The equations are written per sample with column vectors, as a textbook does (``z = W x + b``);
the code keeps a batch of samples as the rows of a matrix, so the same product reads
``x @ W.T`` there. The explanations say so where it matters. Nothing here computes network maths.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from . import conv, layers, losses, network


@cache
def _source(obj) -> tuple[str, int, list[str]]:
    import inspect  # here, not at the top: the page's start-up does not pay for it

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


def steps(trace: dict, net, optimizer, position=None) -> list[dict]:
    """The ordered steps of a traced training step (see the module docstring).

    ``position`` ``(c, i, j)`` picks the output of the first convolution whose numbers the
    convolution steps substitute (default: its largest activation, for the first sample); the
    layers after it follow it (the pooling window holding it), later convolutions use their own
    largest activation. Each CNN step names the value its equation shows in ``position``:
    ``{layer, c, i, j}``, channel ``c``, row ``i``, column ``j`` of the output of layer ``layer``
    (``None``: the input image).
    """
    n = len(trace["forward"])
    out: list[dict] = []
    batch = len(trace["x"])
    per_batch = " (each sample separately)" if batch > 1 else ""
    places = _positions(trace, net, position) if not net.is_mlp else {}

    def add(phase, kind, layer, title, tensors, outputs, equation, explain, src, where=None):
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
        if where is not None:
            out[-1]["position"] = where

    if not net.is_mlp:
        add(*_input_step(trace, net))
    for i in range(n):
        layer = net.layers[i]
        if not isinstance(layer, layers.Dense):
            for step in _cnn_forward(trace, net, i, places):
                add(*step)
            continue
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
        k = i + 1
        dense_above = i < n - 1 and isinstance(net.layers[i + 1], layers.Dense)
        if i < n - 1 and not dense_above:
            add(*_cnn_gradient_below(trace, net, i + 1, places))
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
        elif dense_above:
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
        if not isinstance(net.layers[i], layers.Dense):
            for step in _cnn_backward(trace, net, i, places):
                add(*step)
            if i == 0 and "dx" in trace["backward"][0]:
                add(*_cnn_gradient_below(trace, net, 0, places))
            continue
        act = net.layers[i].activation
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
        if not isinstance(net.layers[i], layers.Dense):
            if net.layers[i].params:
                add(*_conv_update(trace, net, i, optimizer, opt_src, places))
            continue
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


# --- convolutional networks ------------------------------------------------------------------
def _num(value) -> str:
    """A number for an equation: 4 significant digits, negatives in brackets."""
    if value == 0:
        return "0"
    text = f"{float(value):.4g}"
    return f"({text})" if text.startswith("-") else text


def _sum_tex(terms: list[str], shown: int = 9) -> str:
    """``t1 + t2 + ...``; a long sum keeps its first terms and its last, and says how many."""
    if len(terms) <= shown:
        return " + ".join(terms)
    return " + ".join(terms[:3]) + rf" + \cdots + {terms[-1]}\ ({len(terms)}\text{{ terms}})"


def _position(layer: int, c: int, i: int, j: int) -> dict:
    return {"layer": layer, "c": int(c), "i": int(i), "j": int(j)}


def _largest(a: np.ndarray) -> tuple[int, int, int]:
    c, i, j = np.unravel_index(int(np.argmax(a)), a.shape)
    return int(c), int(i), int(j)


def _positions(trace: dict, net, position) -> dict[int, tuple[int, int, int]]:
    """The (c, i, j) whose numbers each convolution and pooling layer's steps show (sample 0)."""
    places: dict[int, tuple[int, int, int]] = {}
    first = True
    for k, layer in enumerate(net.layers):
        kind = getattr(layer, "kind", "")
        maps = trace["forward"][k]["a"][0]
        if kind == conv.Conv2D.kind:
            if first and position is not None:
                c, i, j = (int(v) for v in position)
                if not (
                    0 <= c < maps.shape[0] and 0 <= i < maps.shape[1] and 0 <= j < maps.shape[2]
                ):
                    raise ValueError(
                        f"position ({c}, {i}, {j}) is outside the {maps.shape[0]} feature maps "
                        f"of {maps.shape[1]}x{maps.shape[2]}"
                    )
                places[k] = (c, i, j)
            else:
                places[k] = _largest(maps)
            first = False
        elif kind == conv.MaxPool2D.kind:
            s = layer.size
            below = places.get(k - 1)
            if (
                below is not None
                and below[1] // s < maps.shape[1]
                and below[2] // s < maps.shape[2]
            ):
                places[k] = (below[0], below[1] // s, below[2] // s)
            else:
                places[k] = _largest(maps)
    return places


def _input_step(trace, net):
    shape = "x".join(map(str, net.input_shape))
    return (
        "forward",
        "input",
        None,
        "The input image",
        ["forward.0.x"],
        [],
        r"x \in [0, 1]^{" + r" \times ".join(map(str, net.input_shape)) + "}",
        f"The digit as the network reads it: {shape} numbers, one per pixel (0 = paper, "
        "1 = ink), kept as an image so that a convolution can look at neighbouring pixels "
        "together.",
        source(network.Network._inputs, "reshape"),
        None,
    )


def _conv_terms(x: np.ndarray, W: np.ndarray, layer, c: int, i: int, j: int) -> list[str]:
    """The products x[d, i+u, j+v]·K[c, d, u, v] of output (c, i, j), as text."""
    lo, hi = conv._pads(layer.k, layer.padding)
    padded = np.pad(x, ((0, 0), (lo, hi), (lo, hi))) if hi else x
    patch = padded[:, i : i + layer.k, j : j + layer.k]
    return [f"{_num(p)}\\cdot{_num(w)}" for p, w in zip(patch.ravel(), W[c].ravel(), strict=True)]


def _cnn_forward(trace, net, i, places):
    layer = net.layers[i]
    fw = trace["forward"][i]
    kind = layer.kind
    k = i + 1
    if kind == conv.Conv2D.kind:
        c, y, x = places[i]
        z, a = fw["z"][0], fw["a"][0]
        one = layer.c_in == 1
        patch = rf"x[{y}+u,\,{x}+v]" if one else rf"x[d,\,{y}+u,\,{x}+v]"
        kernel = rf"K[{c},u,v]" if one else rf"K[{c},d,u,v]"
        under = "u,v" if one else "d,u,v"
        terms = _conv_terms(fw["x"][0], fw["W"], layer, c, y, x)
        where = _position(i, c, y, x)
        eq_z = (
            rf"z[{c},{y},{x}] = \sum_{{{under}}} {patch}\,{kernel} + b[{c}] = "
            + _sum_tex(terms)
            + rf" + {_num(fw['b'][c])} = {_num(z[c, y, x])}"
        )
        act = layer.activation
        tex = _ACT_TEX.get(act.name, act.name)
        maps = "the image" if i == 0 else "the maps below"
        yield (
            "forward",
            "conv",
            i,
            f"Layer {k}: convolution, {layer.c_out} filters of {layer.k}x{layer.k}",
            [f"forward.{i}.x", f"forward.{i}.W", f"forward.{i}.b", f"forward.{i}.z"],
            [f"forward.{i}.z"],
            eq_z,
            f"Each of the {layer.c_out} filters K is a small {layer.k}x{layer.k} grid of weights "
            f"(per input channel) slid over {maps}: at every position it takes the weighted sum "
            "of the pixels under it plus its bias, exactly what a dense neuron does with its "
            "inputs, but with the same few weights everywhere. The results form one feature "
            "map per filter, large where the patch looks like the filter. The code cuts every "
            "patch out as one row and makes all the sums in one matrix product.",
            source(conv.Conv2D._z, "rows = matmul("),
            where,
        )
        yield (
            "forward",
            "conv_a",
            i,
            f"Layer {k}: activation ({act.name})",
            [f"forward.{i}.z", f"forward.{i}.a"],
            [f"forward.{i}.a"],
            rf"a[{c},{y},{x}] = {tex}(z[{c},{y},{x}]) = {tex}({_num(z[c, y, x])}) = "
            + _num(a[c, y, x]),
            _ACTIVATION_WORDS.get(act.name, "The activation is applied to every value.")
            + " It works on every value of every feature map separately."
            + (
                " The first CNN uses none: the max-pool after it is already non-linear."
                if act.name == "identity"
                else ""
            ),
            source(type(act).forward, "return"),
            where,
        )
    elif kind == conv.MaxPool2D.kind:
        c, y, x = places[i]
        s = layer.size
        window = fw["x"][0][c, s * y : s * y + s, s * x : s * x + s]
        cells = ", ".join(rf"x[{c},{s * y + u},{s * x + v}]" for u in range(s) for v in range(s))
        yield (
            "forward",
            "pool",
            i,
            f"Layer {k}: max-pool {s}x{s}",
            [f"forward.{i}.x", f"forward.{i}.a", f"forward.{i}.winners"],
            [f"forward.{i}.a", f"forward.{i}.winners"],
            rf"a[{c},{y},{x}] = \max({cells}) = \max("
            + ", ".join(_num(v) for v in window.ravel())
            + rf") = {_num(fw['a'][0][c, y, x])}",
            f"Each map is cut into {s}x{s} windows and only the largest value of each is kept: "
            f"the map shrinks {s} times in each direction, and a feature found anywhere in the "
            "window counts the same, so a stroke moved by a pixel gives the same output. The "
            "marked pixels are the winners; only they will receive a gradient.",
            source(conv.MaxPool2D._pool, "np.maximum(", "argmax +="),
            _position(i, c, y, x),
        )
    elif kind == layers.Dropout.kind:
        yield _dropout_forward(fw, layer, i)
    elif kind == conv.Flatten.kind:
        c, y, x = _flat_position(trace, net, i, places)
        h, w = fw["x"].shape[2], fw["x"].shape[3]
        index = c * h * w + y * w + x
        yield (
            "forward",
            "flatten",
            i,
            f"Layer {k}: flatten to {fw['a'].shape[1]} values",
            [f"forward.{i}.x", f"forward.{i}.a"],
            [f"forward.{i}.a"],
            rf"a[c\cdot{h}\cdot{w} + i\cdot{w} + j] = x[c,i,j]:\quad a[{index}] = x[{c},{y},{x}] = "
            + _num(fw["a"][0][index]),
            "The pooled maps are laid out as one long vector, map after map, row after row, so "
            "that a dense layer can weigh every value. Nothing is computed: the same numbers, "
            "read in another shape.",
            source(conv.Flatten.apply, "return"),
            _position(i, c, y, x),
        )


def _dropout_units(fw) -> tuple[int | None, int | None]:
    """A kept unit with a value that is not 0, and a dropped one, of sample 0 (None: none)."""
    x, mask = fw["x"][0].ravel(), fw["mask"][0].ravel()
    kept = np.flatnonzero((mask > 0) & (x != 0))
    dropped = np.flatnonzero((mask == 0) & (x != 0))
    if not dropped.size:
        dropped = np.flatnonzero(mask == 0)
    return (int(kept[0]) if kept.size else None), (int(dropped[0]) if dropped.size else None)


def _dropout_forward(fw, layer, i):
    x, mask, a = fw["x"][0].ravel(), fw["mask"][0].ravel(), fw["a"][0].ravel()
    kept, dropped = _dropout_units(fw)
    p = layer.rate
    parts = []
    for j in (kept, dropped):
        if j is not None:
            parts.append(rf"a[{j}] = {_num(x[j])}\cdot{_num(mask[j])} = {_num(a[j])}")
    silenced = int((mask == 0).sum())
    return (
        "forward",
        "dropout",
        i,
        f"Layer {i + 1}: dropout {p:g}",
        [f"forward.{i}.x", f"forward.{i}.mask", f"forward.{i}.a"],
        [f"forward.{i}.a"],
        rf"a = x \odot m,\quad m_j = \begin{{cases}}0 & \text{{with probability }} {p:g}\\ "
        rf"\tfrac{{1}}{{1 - {p:g}}} & \text{{otherwise}}\end{{cases}}:\quad "
        + r",\quad ".join(parts),
        f"While training, every value is silenced with probability {p:g} ({silenced} of "
        f"{mask.size} in this step), at random and anew in each step, and the others are "
        f"scaled by 1/(1 - {p:g}) so that their sum stays the same on average. No unit can "
        "count on any other being there, so the network learns several ways to recognise a "
        "digit instead of one fragile one. When it reads a drawing, nothing is dropped.",
        source(layers.Dropout.forward, "a = x * mask"),
    )


def _flat_position(trace, net, i, places) -> tuple[int, int, int]:
    """The (c, i, j) a flatten layer's steps show: the pooled position below it, if any."""
    if i - 1 in places:
        return places[i - 1]
    return _largest(trace["forward"][i]["x"][0])


def _cnn_backward(trace, net, i, places):
    """A convolution's own backward steps: dL/d(feature map) and dL/dK (pool and flatten have
    none: their gradient step is the one that passes it to the layer below)."""
    layer = net.layers[i]
    if layer.kind != conv.Conv2D.kind:
        return
    fw, bw = trace["forward"][i], trace["backward"][i]
    c, y, x = places[i]
    k = i + 1
    where = _position(i, c, y, x)
    act = layer.activation
    slope = {
        "identity": "1",
        "relu": rf"\mathbb{{1}}[z[{c},{y},{x}] > 0]",
        "sigmoid": r"a(1 - a)",
        "tanh": r"(1 - a^2)",
    }.get(act.name, r"f'(z)")
    yield (
        "backward",
        "conv_dz",
        i,
        f"Layer {k}: dL/d(feature map)",
        [f"forward.{i}.z", f"backward.{i}.da", f"backward.{i}.dz"],
        [f"backward.{i}.dz"],
        rf"\delta[{c},{y},{x}] = \frac{{\partial L}}{{\partial z[{c},{y},{x}]}} = {slope}"
        rf"\cdot\frac{{\partial L}}{{\partial a[{c},{y},{x}]}} = " + _num(bw["dz"][0][c, y, x]),
        _SLOPE_WORDS.get(act.name, "The chain rule through the activation.")
        + " Here it is a whole map per filter: how much the loss would change if that value of "
        "that feature map rose a little.",
        source(type(act).backward, "return"),
        where,
    )
    dz = bw["dz"][:, c]  # (N, H', W')
    xs = fw["x"][:, 0]
    lo, hi = conv._pads(layer.k, layer.padding)
    if hi:
        xs = np.pad(xs, ((0, 0), (lo, hi), (lo, hi)))
    h, w = dz.shape[1:]
    terms = [
        f"{_num(d)}\\cdot{_num(p)}"
        for d, p in zip(dz.ravel(), xs[:, :h, :w].ravel(), strict=True)
        if d * p != 0
    ]
    one = layer.c_in == 1
    kernel = rf"K[{c},0,0]" if one else rf"K[{c},0,0,0]"
    patch = "x[i, j]" if one else "x[0, i, j]"
    yield (
        "backward",
        "conv_dK",
        i,
        f"Layer {k}: dL/dK and dL/db per filter",
        [f"backward.{i}.dz", f"forward.{i}.x", f"backward.{i}.dW", f"backward.{i}.db"],
        [f"backward.{i}.dW", f"backward.{i}.db"],
        rf"\frac{{\partial L}}{{\partial K[{c},u,v]}} = \sum_{{i,j}} \delta[{c},i,j]\,"
        rf"x[i+u,\,j+v],\quad \frac{{\partial L}}{{\partial {kernel}}} = \sum_{{i,j}} "
        rf"\delta[{c},i,j]\,{patch} = "
        + (_sum_tex(terms) if terms else "0")
        + rf" = {_num(bw['dW'][(c,) + (0,) * (bw['dW'].ndim - 1)])},\quad "
        rf"\frac{{\partial L}}{{\partial b[{c}]}} = \sum_{{i,j}}\delta[{c},i,j] = "
        + _num(bw["db"][c]),
        "A filter weight was used at every position of its map, so its gradient adds up what "
        "it contributed everywhere: the blame of each output (delta) times the pixel that "
        "weight saw there. The result is one small grid per filter, the same shape as the "
        "filter; the bias gradient is the sum of the whole delta map"
        + (" over every sample of the batch." if len(fw["x"]) > 1 else ".")
        + " The sum shows the non-zero terms for the weight at (0, 0) (of input channel 0).",
        source(conv.Conv2D.backward, "dW = matmul(", "db = "),
        where,
    )


def _cnn_gradient_below(trace, net, j, places):
    """How the gradient passes back through layer ``j`` to what it read (its ``x``)."""
    layer = net.layers[j]
    kind = layer.kind
    k = j + 1
    fw, bw = trace["forward"][j], trace["backward"][j]
    if j == 0:
        target, name = "backward.0.dx", "the input image"
        grad = bw["dx"][0]
    else:
        target, name = f"backward.{j - 1}.da", f"layer {j}'s output"
        grad = trace["backward"][j - 1]["da"][0]
    if kind == conv.Flatten.kind:
        c, y, x = _flat_position(trace, net, j, places)
        h, w = fw["x"].shape[2], fw["x"].shape[3]
        index = c * h * w + y * w + x
        return (
            "backward",
            "unflatten",
            j - 1,
            f"Layer {k}: dL/da back in the shape of the maps",
            [f"backward.{j}.da", target],
            [target],
            rf"\frac{{\partial L}}{{\partial x[{c},{y},{x}]}} = "
            rf"\frac{{\partial L}}{{\partial a[{index}]}} = {_num(grad[c, y, x])}",
            "Flattening only moved numbers, so its gradient only moves them back: the long "
            "vector of dL/da becomes maps again, value for value.",
            source(conv.Flatten.backward, "reshape"),
            _position(j, c, y, x),
        )
    if kind == layers.Dropout.kind:
        kept, dropped = _dropout_units(fw)
        mask, da = fw["mask"][0].ravel(), bw["da"][0].ravel()
        parts = [
            rf"\frac{{\partial L}}{{\partial x[{u}]}} = {_num(da[u])}\cdot{_num(mask[u])} = "
            + _num(grad.ravel()[u])
            for u in (kept, dropped)
            if u is not None
        ]
        return (
            "backward",
            "undropout",
            j - 1,
            f"Layer {k}: dL/da through dropout",
            [f"backward.{j}.da", f"forward.{j}.mask", target],
            [target],
            r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial a} \odot m:\quad "
            + r",\quad ".join(parts),
            "A silenced value did not reach the output, so it gets no blame (0); a kept one "
            "passes its gradient back scaled by the same 1/(1 - p) it was scaled by going "
            "forward.",
            source(layers.Dropout.backward, "return da *"),
        )
    if kind == conv.MaxPool2D.kind:
        c, y, x = places[j]
        s = layer.size
        winners = fw["winners"][0][c, s * y : s * y + s, s * x : s * x + s]
        values = grad[c, s * y : s * y + s, s * x : s * x + s]
        cells = ", ".join(_num(v) for v in values.ravel())
        return (
            "backward",
            "unpool",
            j - 1,
            f"Layer {k}: dL/da through the max-pool",
            [f"backward.{j}.da", f"forward.{j}.winners", target],
            [target],
            rf"\frac{{\partial L}}{{\partial x[{c},{s * y}+u,{s * x}+v]}} = "
            rf"\begin{{cases}}\frac{{\partial L}}{{\partial a[{c},{y},{x}]}} = "
            rf"{_num(bw['da'][0][c, y, x])} & \text{{if }}(u,v)\text{{ won}}\\ 0 & "
            rf"\text{{otherwise}}\end{{cases}}:\quad ({cells})",
            "Only the largest value of each window reached the output, so only it is to blame: "
            f"the window's gradient goes to the winner ({int(winners.sum())} of {s * s} here) "
            "and the other pixels of the window get 0.",
            source(conv.MaxPool2D._unpool, "target[...] ="),
            _position(j, c, y, x),
        )
    # A convolution: each input pixel fed every output whose patch covered it.
    below = places.get(j)
    c0, y0, x0 = below if below is not None else (0, 0, 0)
    centre = layer.k // 2
    lo, _ = conv._pads(layer.k, layer.padding)
    p, q = y0 + centre - lo, x0 + centre - lo
    dz = bw["dz"][0]
    terms = []
    for c in range(layer.c_out):
        for u in range(layer.k):
            for v in range(layer.k):
                i, jj = p - u + lo, q - v + lo
                if 0 <= i < dz.shape[1] and 0 <= jj < dz.shape[2]:
                    terms.append(f"{_num(dz[c, i, jj])}\\cdot{_num(fw['W'][c, 0, u, v])}")
    one = layer.c_in == 1
    return (
        "backward",
        "conv_dx",
        j - 1 if j > 0 else None,
        f"Layer {k}: dL/d({name})" if j == 0 else f"Layer {k}: dL/da of layer {j}",
        [f"backward.{j}.dz", f"forward.{j}.W", target],
        [target],
        rf"\frac{{\partial L}}{{\partial x[{'' if one else '0,'}{p},{q}]}} = \sum_{{c,u,v}} "
        rf"\delta[c,\,{p}-u,\,{q}-v]\,K[c,{'' if one else '0,'}u,v] = "
        + (_sum_tex(terms) if terms else "0")
        + f" = {_num(grad[0, p, q])}",
        "Each pixel was seen by every filter at every position whose patch covered it, so its "
        "blame adds up the blame of those outputs, each weighted by the filter weight that "
        "met the pixel: the convolution run backwards."
        + (
            " For the input image this is a picture of which pixels, made darker or lighter, "
            "would change the loss most; the network cannot change them, so it is only shown."
            if j == 0
            else ""
        ),
        source(conv.Conv2D.backward, "dpatches = matmul(", "dx_padded[:, :, u"),
        {**_position(j - 1, 0, p, q), "layer": j - 1 if j > 0 else None},
    )


def _conv_update(trace, net, i, optimizer, opt_src, places):
    layer = net.layers[i]
    c, y, x = places[i]
    k = i + 1
    first = (c,) + (0,) * (layer.W.ndim - 1)
    before = trace["forward"][i]["W"][first]
    grad = trace["backward"][i]["dW"][first]
    after = trace["update"][i]["W"][first]
    cell = f"{c},0,0" if layer.c_in == 1 else f"{c},0,0,0"
    if optimizer.name == "sgd":
        eq = (
            rf"K \leftarrow K - \eta\,\frac{{\partial L}}{{\partial K}}:\quad K[{cell}] = "
            rf"{_num(before)} - {optimizer.lr:g}\cdot{_num(grad)} = {_num(after)}"
        )
    else:
        eq = optimizer.rule + rf":\quad K[{cell}]: {_num(before)} \to {_num(after)}"
    return (
        "update",
        "conv_update",
        i,
        f"Layer {k}: update of the filters",
        [
            f"forward.{i}.W",
            f"backward.{i}.dW",
            f"update.{i}.W",
            f"update.{i}.dW_step",
            f"forward.{i}.b",
            f"backward.{i}.db",
            f"update.{i}.b",
        ],
        [f"update.{i}.W", f"update.{i}.b"],
        eq,
        f"Every filter weight takes a small step against its gradient (learning rate "
        f"{optimizer.lr:g}), like any other weight. The difference before and after is shown "
        "as a picture per filter: after one digit it already looks like a bit of that digit.",
        opt_src,
        _position(i, c, y, x),
    )
