"""A network: layers in a row, each feeding the next, a loss, and one training step for all.

A layer is anything with the conventions of :class:`pycore.layers.Dense` (``forward``,
``apply``, ``backward``, ``params``/``grads``, ``output_shape``, ``describe``, ``copy``): dense
layers for a fully connected network (an MLP), and the convolution, pooling and flattening
layers of :mod:`pycore.conv` for a convolutional one (a CNN). The network knows the shape of one
input sample (``input_shape``: ``(784,)`` for an MLP on digits, ``(1, 28, 28)`` for a CNN) and
checks, when it is built, that each layer's output fits the next layer's input.

One step of gradient descent (forward pass, loss, backward pass, update) is written once, in
``_step``. Training and the lessons call it through ``train_step``, which returns the loss; the
step-through calls it through ``trace_step``, which returns what the layers cached during that
same step, copied out.
"""

from __future__ import annotations

import numpy as np

from .layers import Dense
from .losses import CrossEntropy, Loss, targets
from .losses import get as get_loss
from .optim import Optimizer
from .trace import record


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def layer_text(layer, shape: tuple[int, ...]) -> str:
    """What one layer is, in a few words: ``conv 8@3x3 relu``, ``maxpool 2``, ``10 softmax``.

    ``shape`` is the layer's output shape for one sample.
    """
    kind = getattr(layer, "kind", "dense")
    if kind == "dense":
        return f"{layer.n_out} {layer.activation.name}"
    if kind == "conv2d":
        same = " same" if layer.padding == "same" else ""
        return f"conv {layer.c_out}@{layer.k}x{layer.k}{same} {layer.activation.name}"
    if kind == "maxpool2d":
        return f"maxpool {layer.size}"
    if kind == "flatten":
        return f"flatten {shape[0]}"
    if kind == "dropout":
        return f"dropout {layer.rate:g}"
    return repr(layer)


class Network:
    """Layers in a row on inputs of ``input_shape`` (one sample), and a loss.

    ``Network.build`` makes the fully connected kind from a list of sizes:

    >>> net = Network.build([784, 10, 10], ["relu", "softmax"], "cross_entropy",
    ...                     rng=np.random.default_rng(0))
    >>> net
    Network(784 -> 10 relu -> 10 softmax, loss=cross_entropy, float32)
    >>> {k: v.shape for k, v in net.parameters().items()}
    {'layers.0.W': (10, 784), 'layers.0.b': (10,), 'layers.1.W': (10, 10), 'layers.1.b': (10,)}

    A convolutional network lists its layers and the shape of one image:

    >>> from pycore.conv import Conv2D, Flatten, MaxPool2D
    >>> rng = np.random.default_rng(0)
    >>> cnn = Network([Conv2D(1, 8, 3, activation="relu", rng=rng), MaxPool2D(2), Flatten(),
    ...                Dense(1352, 10, "softmax", rng=rng)], "cross_entropy", (1, 28, 28))
    >>> cnn
    Network(1x28x28 -> conv 8@3x3 relu -> maxpool 2 -> flatten 1352 -> 10 softmax, \
loss=cross_entropy, float32)

    Callers always send rows of pixels, ``(batch, 784)``; the network reshapes them to
    ``(batch, *input_shape)``.
    """

    def __init__(self, layers: list, loss: Loss | str, input_shape: tuple[int, ...] | None = None):
        if not layers:
            raise ValueError("a network needs at least one layer")
        if input_shape is None:
            if not isinstance(layers[0], Dense):
                raise ValueError(
                    "a network that does not start with a dense layer needs input_shape"
                )
            input_shape = (layers[0].n_in,)
        self.input_shape = tuple(int(n) for n in input_shape)
        if not self.input_shape or min(self.input_shape) < 1:
            raise ValueError(f"invalid input shape {input_shape}")
        # shapes[i] is one sample's shape entering layer i; shapes[-1] the output's.
        shapes = [self.input_shape]
        for i, layer in enumerate(layers):
            try:
                shapes.append(tuple(layer.output_shape(shapes[-1])))
            except ValueError as error:
                raise ValueError(
                    f"layer {i} does not fit its input {_shape_text(shapes[-1])}: {error}"
                ) from None
        if len(shapes[-1]) != 1 or not hasattr(layers[-1], "activation"):
            raise ValueError("the last layer must give one vector of outputs (a dense layer)")
        self.shapes = shapes
        self.layers = layers
        self.loss = get_loss(loss) if isinstance(loss, str) else loss
        last = layers[-1].activation.name
        if isinstance(self.loss, CrossEntropy) and last != "softmax":
            raise ValueError(
                f"cross-entropy needs probabilities: the output layer must use softmax, not {last}"
            )
        # Softmax followed by cross-entropy has the simple joint derivative dz = (a - y) / N.
        self.fused = isinstance(self.loss, CrossEntropy)

    @classmethod
    def build(
        cls,
        sizes: list[int],
        activations: list[str] | str,
        loss: str = "cross_entropy",
        rng: np.random.Generator | None = None,
        init: str = "he",
        dtype: type = np.float32,
    ) -> Network:
        """Build fresh dense layers; ``activations`` has one name per layer (or one for all)."""
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise ValueError(f"layer sizes must be at least two positive numbers, not {sizes}")
        if isinstance(activations, str):
            activations = [activations] * (len(sizes) - 1)
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"{len(sizes) - 1} layers need {len(sizes) - 1} activations")
        rng = rng if rng is not None else np.random.default_rng(0)
        layers = [
            Dense(int(n_in), int(n_out), act, rng=rng, init=init, dtype=dtype)
            for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations, strict=True)
        ]
        return cls(layers, loss)

    # --- description -----------------------------------------------------------------------
    @property
    def is_mlp(self) -> bool:
        """Only dense layers, on flat inputs: the fully connected network of the first lessons."""
        return len(self.input_shape) == 1 and all(isinstance(x, Dense) for x in self.layers)

    @property
    def sizes(self) -> list[int]:
        """How many values each layer gives per sample, after the input's count.

        For an MLP that is the list of layer sizes it was built from, ``[784, 10, 10]``.
        """
        return [int(np.prod(shape)) for shape in self.shapes]

    @property
    def activations(self) -> list[str | None]:
        """Each layer's activation name (None for a layer without one: pooling, flattening)."""
        return [getattr(getattr(x, "activation", None), "name", None) for x in self.layers]

    @property
    def dtype(self) -> np.dtype:
        for layer in self.layers:
            if layer.params:
                return layer.params["W"].dtype
        return np.dtype(np.float32)

    def describe(self) -> list[dict]:
        """Every layer's kind and sizes, as the model file records them (no parameters)."""
        return [layer.describe() for layer in self.layers]

    def layers_text(self) -> str:
        """The architecture in one line: ``784 -> 10 relu -> 10 softmax``, or for a CNN
        ``1x28x28 -> conv 8@3x3 relu -> maxpool 2 -> flatten 1352 -> 10 softmax``."""
        parts = [_shape_text(self.input_shape)]
        parts += [layer_text(x, s) for x, s in zip(self.layers, self.shapes[1:], strict=True)]
        return " -> ".join(parts)

    def __repr__(self) -> str:
        return f"Network({self.layers_text()}, loss={self.loss.name}, {self.dtype})"

    def parameters(self) -> dict[str, np.ndarray]:
        """Every parameter by dotted name, ``layers.<i>.W`` and ``layers.<i>.b`` (live arrays).

        ``i`` counts every layer, so a pooling layer (no parameters) leaves a gap.
        """
        return {
            f"layers.{i}.{k}": p
            for i, layer in enumerate(self.layers)
            for k, p in layer.params.items()
        }

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients of the last backward pass, keyed like :meth:`parameters`."""
        return {
            f"layers.{i}.{k}": g
            for i, layer in enumerate(self.layers)
            for k, g in layer.grads.items()
        }

    def set_parameters(self, values: dict[str, np.ndarray]) -> None:
        """Copy ``values`` into the parameters (same names and shapes), in place."""
        for name, p in self.parameters().items():
            np.copyto(p, values[name])

    def astype(self, dtype: type) -> Network:
        """A copy of the network with parameters in ``dtype`` (float64 for gradient checks)."""
        return self.copy(dtype)

    def copy(self, dtype: type | None = None) -> Network:
        """An independent copy (parameters copied, in ``dtype`` if given; empty caches)."""
        layers = [layer.copy(dtype) for layer in self.layers]
        return Network(layers, type(self.loss)(), self.input_shape)

    # --- the maths ---------------------------------------------------------------------------
    def _inputs(self, x: np.ndarray) -> np.ndarray:
        """``x`` (batch, 784) or (batch, *input_shape) as (batch, *input_shape) in our dtype."""
        return np.asarray(x, dtype=self.dtype).reshape(-1, *self.input_shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run the batch ``x`` through every layer, caching for backward; ``x`` is
        (batch, sizes[0]) or (batch, *input_shape)."""
        a = self._inputs(x)
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """What every layer gives for ``x`` (its ``a``), without touching any cache."""
        outputs, a = [], self._inputs(x)
        for layer in self.layers:
            out = layer.apply(a)
            # Layers with an activation return (z, a); pooling and flattening return a.
            a = out[1] if isinstance(out, tuple) else out
            outputs.append(a)
        return outputs

    PREDICT_ROWS = 500
    """Rows one forward pass of :meth:`predict_proba` takes at most: a convolution cuts ~40,000
    patch values out of each 28x28 image, so 2,000 digits at once would need ~330 MB."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """The output for ``x`` without touching any cache (safe in the middle of training),
        :attr:`PREDICT_ROWS` rows at a time to bound memory."""
        rows = self.PREDICT_ROWS
        if len(x) <= rows:
            return self.layer_outputs(x)[-1]
        return np.concatenate(
            [self.layer_outputs(x[i : i + rows])[-1] for i in range(0, len(x), rows)]
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The class with the highest output for each row of ``x``."""
        return np.argmax(self.predict_proba(x), axis=1)

    def targets(self, y: np.ndarray) -> np.ndarray:
        """``y`` as the (batch, outputs) target matrix the loss compares against."""
        return targets(y, self.sizes[-1], self.dtype)

    def backward(
        self, y: np.ndarray, need_dx: bool = False, trace: bool = False
    ) -> np.ndarray | None:
        """Backpropagate the loss of the last forward pass against targets ``y``.

        With a softmax output and cross-entropy, the fused dL/dz is all backprop needs; dL/da of
        the loss is then computed only for a trace (``trace=True``), which shows it. Returns
        dL/dx for the input batch when ``need_dx`` (else None).
        """
        a = self.layers[-1].cache["a"]
        if self.fused:
            dz = CrossEntropy.fused_dz(a, y)
            da = self.loss.backward(a, y) if trace else None
        else:
            dz, da = None, self.loss.backward(a, y)
        for i in range(len(self.layers) - 1, -1, -1):
            da = self.layers[i].backward(da, dz, need_dx=need_dx or i > 0)
            dz = None
        return da

    def _step(self, x, y, optimizer: Optimizer, trace: bool, last_good=None):
        """Forward, loss, backward, update; returns ``(targets, loss, parameters before, dx)``.

        A loss that is not finite returns at once with nothing updated (and ``before`` None).
        ``dx`` (dL/d input) is computed only for a trace.
        """
        y = self.targets(y)
        loss = self.loss.forward(self.forward(x), y)
        if not np.isfinite(loss):
            return y, loss, None, None
        dx = self.backward(y, need_dx=trace, trace=trace)
        before = {k: p.copy() for k, p in self.parameters().items()} if trace else {}
        if last_good is not None:
            for k, p in self.parameters().items():
                np.copyto(last_good[k], p)
        optimizer.step(self.parameters(), self.gradients())
        return y, loss, before, dx

    def train_step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        optimizer: Optimizer,
        last_good: dict[str, np.ndarray] | None = None,
    ) -> float:
        """One step of gradient descent on the batch ``(x, y)``; returns the loss before it.

        ``x``: (batch, sizes[0]) or (batch, *input_shape); ``y`` holds integer labels (batch,)
        or targets (batch, outputs). A loss that is not finite is returned at once with nothing
        updated. With ``last_good``, the parameters are copied there before a finite-loss
        update, so a caller can go back to them if training diverges.
        """
        return self._step(x, y, optimizer, trace=False, last_good=last_good)[1]

    def trace_step(self, x: np.ndarray, y: np.ndarray, optimizer: Optimizer) -> dict:
        """The same step as :meth:`train_step`, returning every intermediate of it.

        See :func:`pycore.trace.record` for the fields; a loss that is not finite gives
        ``{"loss": loss, "finite": False}`` and updates nothing.
        """
        targets, loss, before, dx = self._step(x, y, optimizer, trace=True)
        if before is None:
            return {"loss": loss, "finite": False}
        return record(self, x, targets, loss, before, optimizer, dx)

    def evaluate_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """The loss on ``(x, y)`` without touching caches or parameters."""
        return self.loss.forward(self.predict_proba(x), self.targets(y))
