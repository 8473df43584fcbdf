"""The record of one training step, for the step-through view.

:meth:`Network.trace_step` runs the ordinary training step and then calls
:func:`record`, which copies out what the layers cached on the way: nothing here computes
network maths except the loss after the update, which is the point of showing it.
"""

from __future__ import annotations

import numpy as np


def record(net, x, y, loss: float, before: dict[str, np.ndarray], optimizer) -> dict:
    """Every intermediate of the step just taken, as plain arrays and numbers.

    Returns a dict with:
        ``x`` (batch, n_in) and ``y`` (batch, outputs): the sample(s) and targets;
        ``forward``: per layer ``{x, W, b, z, a}`` with the parameters as they were before the
        update; ``loss``: the batch loss; ``backward``: per layer (input side first)
        ``{da, dz, dW, db}``; ``update``: per layer ``{W, b}`` after the update;
        ``loss_after``: the loss of the same batch with the updated parameters.
    """
    forward, backward, update = [], [], []
    for i, layer in enumerate(net.layers):
        cache = layer.cache
        forward.append(
            {
                "x": np.array(cache["x"]),
                "W": before[f"layers.{i}.W"],
                "b": before[f"layers.{i}.b"],
                "z": cache["z"],
                "a": cache["a"],
            }
        )
        backward.append(
            {"da": cache["da"], "dz": cache["dz"], "dW": layer.grads["W"], "db": layer.grads["b"]}
        )
        update.append({"W": layer.W.copy(), "b": layer.b.copy()})
    return {
        "x": np.array(x, dtype=net.dtype),
        "y": y,
        "sizes": net.sizes,
        "activations": net.activations,
        "loss_name": net.loss.name,
        "fused": net.fused,
        "optimizer": optimizer.config(),
        "forward": forward,
        "loss": float(loss),
        "backward": backward,
        "update": update,
        "loss_after": net.evaluate_loss(x, y),
        "finite": True,
    }
