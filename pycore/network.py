"""A network: dense layers in a row, a loss, and one training step that everything else uses.

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


class Network:
    """Layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]`` with one activation per layer.

    >>> net = Network.build([784, 10, 10], ["relu", "softmax"], "cross_entropy",
    ...                     rng=np.random.default_rng(0))
    >>> net
    Network(784 -> 10 relu -> 10 softmax, loss=cross_entropy, float32)
    >>> {k: v.shape for k, v in net.parameters().items()}
    {'layers.0.W': (10, 784), 'layers.0.b': (10,), 'layers.1.W': (10, 10), 'layers.1.b': (10,)}
    """

    def __init__(self, layers: list[Dense], loss: Loss | str):
        if not layers:
            raise ValueError("a network needs at least one layer")
        for below, above in zip(layers, layers[1:], strict=False):
            if below.n_out != above.n_in:
                raise ValueError(f"{below} feeds {above}: sizes do not match")
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
        """Build fresh layers; ``activations`` has one name per layer (or one for all)."""
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
    def sizes(self) -> list[int]:
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        return [layer.activation.name for layer in self.layers]

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].W.dtype

    def __repr__(self) -> str:
        shape = " -> ".join(
            [str(self.sizes[0])]
            + [f"{layer.n_out} {layer.activation.name}" for layer in self.layers]
        )
        return f"Network({shape}, loss={self.loss.name}, {self.dtype})"

    def parameters(self) -> dict[str, np.ndarray]:
        """Every parameter by dotted name, ``layers.<i>.W`` and ``layers.<i>.b`` (live arrays)."""
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
        layers = []
        for layer in self.layers:
            clone = Dense.__new__(Dense)
            clone.activation = type(layer.activation)()
            clone.W = layer.W.astype(dtype or layer.W.dtype, copy=True)
            clone.b = layer.b.astype(dtype or layer.b.dtype, copy=True)
            clone.cache, clone.grads = {}, {}
            layers.append(clone)
        return Network(layers, type(self.loss)())

    # --- the maths ---------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run the batch ``x`` (batch, sizes[0]) through every layer, caching for backward."""
        a = np.asarray(x, dtype=self.dtype)
        for layer in self.layers:
            a = layer.forward(a)
        return a

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """The output for ``x`` without touching any cache (safe in the middle of training)."""
        a = np.asarray(x, dtype=self.dtype)
        for layer in self.layers:
            a = layer.apply(a)[1]
        return a

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The class with the highest output for each row of ``x``."""
        return np.argmax(self.predict_proba(x), axis=1)

    def targets(self, y: np.ndarray) -> np.ndarray:
        """``y`` as the (batch, outputs) target matrix the loss compares against."""
        return targets(y, self.sizes[-1], self.dtype)

    def backward(self, y: np.ndarray, need_dx: bool = False, trace: bool = False) -> None:
        """Backpropagate the loss of the last forward pass against targets ``y``.

        With a softmax output and cross-entropy, the fused dL/dz is all backprop needs; dL/da of
        the loss is then computed only for a trace (``trace=True``), which shows it.
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

    def _step(self, x, y, optimizer: Optimizer, trace: bool, last_good=None):
        """Forward, loss, backward, update; returns ``(targets, loss, parameters before)``.

        A loss that is not finite returns at once with nothing updated (and ``before`` None).
        """
        y = self.targets(y)
        loss = self.loss.forward(self.forward(x), y)
        if not np.isfinite(loss):
            return y, loss, None
        self.backward(y, need_dx=trace, trace=trace)
        before = {k: p.copy() for k, p in self.parameters().items()} if trace else {}
        if last_good is not None:
            for k, p in self.parameters().items():
                np.copyto(last_good[k], p)
        optimizer.step(self.parameters(), self.gradients())
        return y, loss, before

    def train_step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        optimizer: Optimizer,
        last_good: dict[str, np.ndarray] | None = None,
    ) -> float:
        """One step of gradient descent on the batch ``(x, y)``; returns the loss before it.

        ``x``: (batch, sizes[0]); ``y`` holds integer labels (batch,) or targets (batch,
        outputs). A loss that is not finite is returned at once with nothing updated. With
        ``last_good``, the parameters are copied there before a finite-loss update, so a
        caller can go back to them if training diverges.
        """
        return self._step(x, y, optimizer, trace=False, last_good=last_good)[1]

    def trace_step(self, x: np.ndarray, y: np.ndarray, optimizer: Optimizer) -> dict:
        """The same step as :meth:`train_step`, returning every intermediate of it.

        See :func:`pycore.trace.record` for the fields; a loss that is not finite gives
        ``{"loss": loss, "finite": False}`` and updates nothing.
        """
        targets, loss, before = self._step(x, y, optimizer, trace=True)
        if before is None:
            return {"loss": loss, "finite": False}
        return record(self, x, targets, loss, before, optimizer)

    def evaluate_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """The loss on ``(x, y)`` without touching caches or parameters."""
        return self.loss.forward(self.predict_proba(x), self.targets(y))
