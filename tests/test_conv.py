"""Conv2D, MaxPool2D and Flatten: hand-worked values, a naive loop, and finite differences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pycore.conv import (
    LAYER_KINDS,
    Conv2D,
    Flatten,
    MaxPool2D,
    describe,
    from_description,
    output_shape,
)
from pycore.gradcheck import central_differences, numeric_gradient, relative_error
from pycore.layers import Dense
from pycore.losses import CrossEntropy, targets
from pycore.losses import get as get_loss

H = 1e-6


def _output(layer, x: np.ndarray) -> np.ndarray:
    out = layer.apply(x)
    return out[1] if isinstance(out, tuple) else out


def _numeric(loss, array: np.ndarray) -> np.ndarray:
    """dloss/darray by central differences, nudging ``array`` in place (and restoring it)."""
    return numeric_gradient(loss, array, H)


def _check_layer(layer, x: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """Relative errors of backprop's dparams and dx for L = sum(out * R), R random (not ones)."""
    R = rng.normal(0, 1, _output(layer, x).shape)
    layer.forward(x)
    dx = layer.backward(R)

    def loss() -> float:
        return float(np.sum(_output(layer, x) * R))

    errors = {
        name: relative_error(layer.grads[name], _numeric(loss, p))
        for name, p in layer.params.items()
    }
    errors["x"] = relative_error(dx, _numeric(loss, x))
    return errors


def _min_abs_z(layer, x: np.ndarray) -> float:
    return float(np.min(np.abs(layer.apply(x)[0])))


def _min_pool_gap(x: np.ndarray, size: int = 2) -> float:
    """The smallest distance between a window's largest and second-largest value.

    Windows whose maximum is exactly 0 are left out: after a ReLU that is a tie of zeros, which
    passes no gradient whichever zero wins.
    """
    n, c, h, w = x.shape
    h, w = h // size, w // size
    windows = x[:, :, : h * size, : w * size].reshape(n, c, h, size, w, size)
    windows = np.sort(windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w, -1), axis=-1)
    top, second = windows[..., -1], windows[..., -2]
    return float(np.min((top - second)[top != 0]))


# --- hand-worked values -------------------------------------------------------------------------
def test_conv_on_a_4x4_image_matches_the_hand_worked_forward_and_backward():
    x = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]], dtype=np.float64)
    K = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]], dtype=np.float64)
    layer = Conv2D(1, 1, 3, activation="relu", dtype=np.float64)
    layer.W[0, 0] = K
    layer.b[0] = -1.5
    # The four 3x3 patches P[i,j] = x[i:i+3, j:j+3] and their sums with K (entry by entry):
    #   P00 = [[1,2,0],[0,1,3],[2,1,0]]: 1·1 + 1·1 + 1·(-1)                       = 1
    #   P01 = [[2,0,1],[1,3,1],[1,0,2]]: 2·1 + 1·(-1) + 1·2 + 3·1 + 2·1           = 8
    #   P10 = [[0,1,3],[2,1,0],[1,0,1]]: 3·(-1) + 2·2 + 1·1 + 1·1                 = 3
    #   P11 = [[1,3,1],[1,0,2],[0,1,1]]: 1·1 + 1·(-1) + 1·2 + 1·(-1) + 1·1        = 2
    # z = sums + b = [[-0.5, 6.5], [1.5, 0.5]];  a = relu(z) = [[0, 6.5], [1.5, 0.5]]
    a = layer.forward(x[None, None])
    np.testing.assert_array_equal(layer.cache["z"][0, 0], [[-0.5, 6.5], [1.5, 0.5]])
    np.testing.assert_array_equal(a[0, 0], [[0, 6.5], [1.5, 0.5]])

    # Upstream da = [[1, -2], [3, 0.5]]; relu passes it where z > 0: dz = [[0, -2], [3, 0.5]].
    # dW = Σ dz[i,j]·P[i,j] = -2·P01 + 3·P10 + 0.5·P11
    #    = [[-4,0,-2],[-2,-6,-2],[-2,0,-4]] + [[0,3,9],[6,3,0],[3,0,3]]
    #      + [[0.5,1.5,0.5],[0.5,0,1],[0,0.5,0.5]]
    #    = [[-3.5, 4.5, 7.5], [4.5, -3, -1], [1, 0.5, -0.5]]
    # db = 0 - 2 + 3 + 0.5 = 1.5
    # dx = Σ dz[i,j]·K placed at rows i..i+2, columns j..j+2:
    #   -2·K at (0,1): [[-2,0,2],[-4,-2,0],[0,2,-2]]
    #    3·K at (1,0): [[3,0,-3],[6,3,0],[0,-3,3]]
    #  0.5·K at (1,1): [[0.5,0,-0.5],[1,0.5,0],[0,-0.5,0.5]]
    #   summed, e.g. dx[1,1] = -2·K[1,0] + 3·K[0,1] + 0.5·K[0,0] = -4 + 0 + 0.5 = -3.5
    dx = layer.backward(np.array([[[[1, -2], [3, 0.5]]]]))
    np.testing.assert_array_equal(layer.cache["dz"][0, 0], [[0, -2], [3, 0.5]])
    np.testing.assert_array_equal(
        layer.grads["W"][0, 0], [[-3.5, 4.5, 7.5], [4.5, -3, -1], [1, 0.5, -0.5]]
    )
    np.testing.assert_array_equal(layer.grads["b"], [1.5])
    np.testing.assert_array_equal(
        dx[0, 0],
        [[0, -2, 0, 2], [3, -3.5, -5, -0.5], [6, 4, 2.5, -2], [0, -3, 2.5, 0.5]],
    )


def test_maxpool_on_a_4x4_map_matches_the_hand_worked_forward_and_backward():
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 6, 7, 2], [3, 1, 4, 8]], dtype=np.float64)[
        None, None
    ]
    pool = MaxPool2D(2)
    # Windows (row-major u*2+v): [1,3,4,2] -> 4 at 2;  [2,0,1,5] -> 5 at 3;
    #                            [0,6,3,1] -> 6 at 1;  [7,2,4,8] -> 8 at 3.
    a = pool.forward(x)
    np.testing.assert_array_equal(a[0, 0], [[4, 5], [6, 8]])
    np.testing.assert_array_equal(pool.cache["argmax"][0, 0], [[2, 3], [1, 3]])
    np.testing.assert_array_equal(
        pool.winners()[0, 0],
        [[0, 0, 0, 0], [1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 1]],
    )
    # Each window's gradient goes to its winner only.
    dx = pool.backward(np.array([[[[0.1, -0.2], [0.3, 0.4]]]]))
    np.testing.assert_array_equal(
        dx[0, 0], [[0, 0, 0, 0], [0.1, 0, 0, -0.2], [0, 0.3, 0, 0], [0, 0, 0, 0.4]]
    )
    assert pool.grads == {} and pool.params == {}


def test_maxpool_tie_goes_to_the_first_position_and_odd_edges_are_dropped():
    x = np.array([[5, 5, 1], [5, 2, 9], [9, 9, 9]], dtype=np.float32)[None, None]
    pool = MaxPool2D(2)
    assert pool.forward(x).shape == (1, 1, 1, 1)
    assert pool.cache["argmax"].item() == 0
    dx = pool.backward(np.ones((1, 1, 1, 1), np.float32))
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert pool.output_shape((8, 26, 26)) == (8, 13, 13)
    assert pool.output_shape((8, 27, 27)) == (8, 13, 13)


# --- against a naive loop -------------------------------------------------------------------------
def _naive_conv(x, W, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, _, h, w = x.shape
    c_out, _, k, _ = W.shape
    z = np.zeros((n, c_out, h - k + 1, w - k + 1))
    for s in range(n):
        for c in range(c_out):
            for i in range(h - k + 1):
                for j in range(w - k + 1):
                    z[s, c, i, j] = np.sum(x[s, :, i : i + k, j : j + k] * W[c]) + b[c]
    return z


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("k", [3, 5])
def test_conv_forward_equals_a_naive_loop(padding, k, rng):
    layer = Conv2D(3, 4, k, padding, rng=rng, dtype=np.float64)
    layer.b[:] = rng.normal(0, 1, 4)
    x = rng.normal(0, 1, (2, 3, 7, 9))
    z, a = layer.apply(x)
    expected = _naive_conv(x, layer.W, layer.b, (k - 1) // 2 if padding == "same" else 0)
    assert z.shape == (2, 4, *(layer.output_shape((3, 7, 9))[1:]))
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(a, z)


# --- finite differences ---------------------------------------------------------------------------
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("c_in", "c_out"), [(1, 1), (1, 3), (2, 3)])
@pytest.mark.parametrize("activation", ["identity", "relu", "tanh"])
def test_conv_backward_matches_finite_differences(padding, c_in, c_out, activation, rng):
    layer = Conv2D(c_in, c_out, 3, padding, activation, rng=rng, init="xavier", dtype=np.float64)
    layer.b[:] = rng.normal(0, 0.5, c_out)
    x = rng.normal(0, 1, (2, c_in, 5, 6))
    assert _min_abs_z(layer, x) > 1e-4  # ReLU has no derivative at 0
    errors = _check_layer(layer, x, rng)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("k", [1, 2, 4])
def test_conv_backward_matches_finite_differences_for_other_kernel_sizes(k, rng):
    """Even kernels pad one more zero after than before to keep the size ("same")."""
    for padding in ("valid", "same"):
        layer = Conv2D(2, 2, k, padding, "sigmoid", rng=rng, dtype=np.float64)
        x = rng.normal(0, 1, (2, 2, 5, 4))
        assert _output(layer, x).shape[2:] == ((5, 4) if padding == "same" else (6 - k, 5 - k))
        errors = _check_layer(layer, x, rng)
        assert max(errors.values()) < 1e-6, (padding, errors)


@pytest.mark.parametrize("size", [2, 3])
def test_maxpool_backward_matches_finite_differences(size, rng):
    x = rng.normal(0, 1, (2, 3, 7, 8))
    assert _min_pool_gap(x, size) > 1e-4  # no ties: max is differentiable
    pool = MaxPool2D(size)
    errors = _check_layer(pool, x, rng)
    assert errors["x"] < 1e-6, errors


def test_flatten_backward_matches_finite_differences(rng):
    x = rng.normal(0, 1, (3, 2, 4, 5))
    flat = Flatten()
    assert flat.forward(x).shape == (3, 40)
    assert flat.cache["a"][1, 1 * 20 + 2 * 5 + 3] == x[1, 1, 2, 3]
    assert _check_layer(flat, x, rng)["x"] < 1e-6


class _Stack:
    """Layers in a row and a loss, chained by hand the way Network.backward does."""

    def __init__(self, layers, loss: str):
        self.layers, self.loss = layers, get_loss(loss)

    def parameters(self) -> dict[str, np.ndarray]:
        return {
            f"{i}.{k}": p for i, layer in enumerate(self.layers) for k, p in layer.params.items()
        }

    def gradients(self) -> dict[str, np.ndarray]:
        return {
            f"{i}.{k}": g for i, layer in enumerate(self.layers) for k, g in layer.grads.items()
        }

    def evaluate_loss(self, x, y) -> float:
        for layer in self.layers:
            x = _output(layer, x)
        return self.loss.forward(x, y)

    def backprop(self, x, y) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        da = self.loss.backward(x, y)
        dz = CrossEntropy.fused_dz(x, y) if isinstance(self.loss, CrossEntropy) else None
        for layer in reversed(self.layers):
            da = layer.backward(da, dz)
            dz = None
        return da


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("output", "loss"), [("softmax", "cross_entropy"), ("sigmoid", "mse")])
def test_whole_cnn_gradients_match_finite_differences(padding, output, loss, rng):
    conv = Conv2D(2, 3, 3, padding, "relu", rng=rng, dtype=np.float64)
    conv.b[:] = rng.normal(0, 0.3, 3)
    pool, flat = MaxPool2D(2), Flatten()
    (n_flat,) = flat.output_shape(pool.output_shape(conv.output_shape((2, 6, 7))))
    dense = Dense(n_flat, 4, output, rng=rng, init="xavier", dtype=np.float64)
    net = _Stack([conv, pool, flat, dense], loss)
    x = rng.normal(0, 1, (3, 2, 6, 7))
    z = conv.apply(x)[0]
    assert np.min(np.abs(z)) > 1e-4 and _min_pool_gap(np.maximum(z, 0)) > 1e-4
    y = (
        targets(rng.integers(0, 4, 3), 4, np.float64)
        if loss == "cross_entropy"
        else rng.random((3, 4))
    )
    dx = net.backprop(x, y)
    analytic = {k: g.copy() for k, g in net.gradients().items()}
    assert set(analytic) == {"0.W", "0.b", "3.W", "3.b"}
    for name, p in net.parameters().items():
        flat_p = p.reshape(-1)
        numeric = central_differences(net, x, y, flat_p, np.arange(flat_p.size), H)
        assert relative_error(analytic[name].reshape(-1), numeric) < 1e-6, name
    numeric_dx = _numeric(lambda: net.evaluate_loss(x, y), x)
    assert relative_error(dx, numeric_dx) < 1e-6


def test_a_wrong_conv_derivative_fails_the_check(rng):
    """The check must be able to fail: a transposed kernel in dx is caught."""
    layer = Conv2D(2, 2, 3, "same", rng=rng, dtype=np.float64)
    x = rng.normal(0, 1, (2, 2, 5, 5))
    original = layer.W
    R = rng.normal(0, 1, (2, 2, 5, 5))
    layer.forward(x)
    layer.W = original.transpose(0, 1, 3, 2).copy()
    dx = layer.backward(R)
    layer.W = original
    numeric = _numeric(lambda: float(np.sum(_output(layer, x) * R)), x)
    assert relative_error(dx, numeric) > 1e-3


# --- the layer conventions ------------------------------------------------------------------------
def test_layers_default_to_float32_and_follow_the_cache_conventions(rng):
    conv = Conv2D(1, 8, 3, activation="relu", rng=rng)
    assert conv.W.dtype == np.float32 and conv.W.shape == (8, 1, 3, 3)
    x = rng.random((4, 1, 10, 10), dtype=np.float32)
    with pytest.raises(RuntimeError):
        conv.backward(np.zeros((4, 8, 8, 8), np.float32))
    conv.apply(x)
    assert conv.cache == {}
    a = conv.forward(x)
    assert a.dtype == np.float32 and a.shape == (4, 8, 8, 8)
    assert set(conv.cache) == {"x", "cols", "z", "a"}
    assert conv.cache["cols"].shape == (4 * 8 * 8, 9)
    n, i, j = 3, 5, 2  # row n*H'*W' + i*W' + j is the patch under output (i, j)
    np.testing.assert_array_equal(
        conv.cache["cols"][n * 64 + i * 8 + j], x[n, :, i : i + 3, j : j + 3].ravel()
    )
    # With several channels the columns run (u, v, d), channel innermost, like _kernels().
    wide = Conv2D(3, 2, 3, rng=rng)
    x3 = rng.random((2, 3, 6, 6), dtype=np.float32)
    wide.forward(x3)
    np.testing.assert_array_equal(
        wide.cache["cols"][1 * 16 + 2 * 4 + 1], x3[1, :, 2:5, 1:4].transpose(1, 2, 0).ravel()
    )
    np.testing.assert_allclose(
        wide.cache["z"][1, :, 2, 1],
        wide._kernels() @ wide.cache["cols"][1 * 16 + 2 * 4 + 1] + wide.b,
        rtol=1e-5,
    )
    conv.backward(np.ones_like(a), need_dx=False)
    assert set(conv.cache) == {"x", "cols", "z", "a", "da", "dz"}
    assert conv.grads["W"].dtype == np.float32
    conv.forward(x[:2])
    assert set(conv.cache) == {"x", "cols", "z", "a"} and conv.cache["x"].shape[0] == 2

    pool = MaxPool2D()
    p = pool.forward(a)
    assert set(pool.cache) == {"x", "a", "argmax"} and p.dtype == np.float32
    np.testing.assert_array_equal(pool.apply(a), p)
    assert pool.backward(p, need_dx=False) is None


def test_lesson_cnn_shapes_chain_from_28x28_to_10(rng):
    layers = [
        Conv2D(1, 8, 3, activation="relu", rng=rng),
        MaxPool2D(2),
        Flatten(),
        Dense(1352, 10, "softmax", rng=rng),
    ]
    shape: tuple[int, ...] = (1, 28, 28)
    shapes = []
    for layer in layers:
        shape = output_shape(layer, shape)
        shapes.append(shape)
    assert shapes == [(8, 26, 26), (8, 13, 13), (1352,), (10,)]
    assert [repr(layer) for layer in layers[:3]] == [
        "Conv2D(1 -> 8, 3x3, valid, relu)",
        "MaxPool2D(2x2)",
        "Flatten()",
    ]
    with pytest.raises(ValueError, match="channels"):
        layers[0].output_shape((3, 28, 28))
    with pytest.raises(ValueError, match="at least"):
        layers[0].output_shape((1, 2, 28))


def test_copy_is_independent_and_can_change_dtype(rng):
    conv = Conv2D(2, 3, 3, "same", "relu", rng=rng)
    clone = conv.copy(np.float64)
    assert clone.W.dtype == np.float64 and repr(clone) == repr(conv)
    np.testing.assert_array_equal(clone.W, conv.W)
    clone.W += 1
    clone.forward(rng.random((1, 2, 4, 4)))
    assert not np.allclose(clone.W, conv.W) and conv.cache == {}
    assert MaxPool2D(3).copy().size == 3 and repr(Flatten().copy()) == "Flatten()"


def test_descriptions_round_trip_through_json(rng):
    layers = [
        Conv2D(1, 8, 5, "same", "tanh", rng=rng),
        MaxPool2D(3),
        Flatten(),
        Dense(72, 10, "softmax", rng=rng),
    ]
    for layer in layers:
        d = json.loads(json.dumps(describe(layer)))
        assert d["kind"] in LAYER_KINDS
        rebuilt = from_description(d, np.float64)
        assert describe(rebuilt) == d and repr(rebuilt) == repr(layer)
        assert {k: p.shape for k, p in rebuilt.params.items()} == {
            k: p.shape for k, p in layer.params.items()
        }
        assert all(p.dtype == np.float64 for p in rebuilt.params.values())
    assert describe(layers[0]) == {
        "kind": "conv2d",
        "c_in": 1,
        "c_out": 8,
        "k": 5,
        "padding": "same",
        "activation": "tanh",
    }


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"kind": "conv3d"},
        {"kind": ["flatten"]},
        {"kind": "flatten", "size": 2},
        {"kind": "maxpool2d"},
        {"kind": "maxpool2d", "size": 0},
        {"kind": "maxpool2d", "size": True},
        {"kind": "maxpool2d", "size": 2.0},
        {"kind": "conv2d", "c_in": 1, "c_out": 8, "k": 3, "padding": "full", "activation": "relu"},
        {"kind": "conv2d", "c_in": 1, "c_out": 8, "k": 3, "padding": "same", "activation": "elu"},
        {
            "kind": "conv2d",
            "c_in": 1,
            "c_out": 8,
            "k": 3,
            "padding": "same",
            "activation": "softmax",
        },
        {"kind": "conv2d", "c_in": 1, "c_out": 8, "k": 3, "padding": 1, "activation": "relu"},
        {
            "kind": "conv2d",
            "c_in": 4096,
            "c_out": 4096,
            "k": 64,
            "padding": "same",
            "activation": "relu",
        },
        {"kind": "dense", "n_in": 10**6, "n_out": 10**6, "activation": "relu"},
    ],
)
def test_invalid_descriptions_are_refused_with_value_error(bad):
    with pytest.raises(ValueError):
        from_description(bad)
