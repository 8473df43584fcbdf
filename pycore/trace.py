"""The record of one training step, for the step-through view.

:meth:`Network.trace_step` runs the ordinary training step and then calls
:func:`record`, which copies out what the layers cached on the way: nothing here computes
network maths except the loss after the update, which is the point of showing it.
"""

from __future__ import annotations

import numpy as np


def record(net, x, y, loss: float, before: dict[str, np.ndarray], optimizer, dx=None) -> dict:
    """Every intermediate of the step just taken, as plain arrays and numbers.

    Returns a dict with:
        ``x`` (batch, n_in) and ``y`` (batch, outputs): the sample(s) and targets;
        ``forward``: per layer, by the layer's index: ``{x, W, b, z, a}`` for a layer with
        parameters (dense or convolution, the parameters as they were before the update;
        a convolution's ``x``, ``z`` and ``a`` are (batch, C, H, W) maps), ``{x, a, winners}``
        for max-pooling (``winners``: True where a window's maximum was, the shape of ``x``),
        ``{x, a}`` for flattening, ``{x, mask, a}`` for dropout (``mask``: 0 for a dropped
        value, ``1 / (1 - rate)`` for a kept one); ``loss``: the batch loss; ``backward``: per layer
        ``{da, dz, dW, db}`` for a layer with parameters, ``{da}`` for one without (dL/d its
        output); for a CNN, the first entry adds ``dx``, dL/d the input image (batch, C, H, W);
        ``update``: per layer ``{W, b}`` after the update (a convolution adds ``dW_step``, the
        change of its filters), ``{}`` for a layer without parameters;
        ``loss_after``: the loss of the same batch with the updated parameters.
    """
    forward, backward, update = [], [], []
    for i, layer in enumerate(net.layers):
        cache = layer.cache
        if not layer.params:
            entry = {"x": np.array(cache["x"]), "a": np.array(cache["a"])}
            if hasattr(layer, "winners"):
                entry["winners"] = layer.winners()
            if "mask" in cache:
                entry["mask"] = np.array(cache["mask"])
            forward.append(entry)
            backward.append({"da": np.array(cache["da"])})
            update.append({})
            continue
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
        after = {"W": layer.W.copy(), "b": layer.b.copy()}
        if layer.W.ndim == 4:
            after["dW_step"] = after["W"] - before[f"layers.{i}.W"]
        update.append(after)
    if not net.is_mlp and dx is not None:
        backward[0]["dx"] = np.array(dx)
    return {
        "x": np.array(x, dtype=net.dtype),
        "y": y,
        "sizes": net.sizes,
        "activations": net.activations,
        "layers": net.describe(),
        "input_shape": list(net.input_shape),
        "shapes": [list(s) for s in net.shapes],
        "loss_name": net.loss.name,
        "fused": net.fused,
        "optimizer": optimizer.config(),
        "forward": forward,
        "loss": float(loss),
        "backward": backward,
        "update": update,
        "loss_after": _loss_after(net, x, y),
        "finite": True,
    }


def _loss_after(net, x, y) -> float:
    """The loss of the same batch after the update, through the same dropout masks (if any)."""
    dropouts = [layer for layer in net.layers if hasattr(layer, "fix_mask")]
    for layer in dropouts:
        layer.fix_mask(layer.cache["mask"])
    try:
        return net.evaluate_loss(x, y)
    finally:
        for layer in dropouts:
            layer.fix_mask(None)
