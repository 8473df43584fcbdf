"""The network, its one training step, the trace and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import Network
from pycore.lessons import two_layer_network
from pycore.optim import SGD, Adam, Momentum


def test_predict_does_not_touch_the_cache(rng):
    net = Network.build([4, 3, 2], ["relu", "softmax"], "cross_entropy", rng=rng)
    net.forward(rng.random((5, 4)))
    cached = net.layers[0].cache["z"]
    net.predict_proba(rng.random((7, 4)))
    assert net.layers[0].cache["z"] is cached


def test_predicting_many_rows_goes_a_bounded_number_of_rows_at_a_time(rng, monkeypatch):
    net = Network.build([4, 3, 2], ["relu", "softmax"], "cross_entropy", rng=rng)
    x = rng.random((11, 4))
    whole = net.layer_outputs(x)[-1]
    seen = []
    real = net.layer_outputs
    monkeypatch.setattr(net, "layer_outputs", lambda rows: seen.append(len(rows)) or real(rows))
    net.PREDICT_ROWS = 4
    np.testing.assert_allclose(net.predict_proba(x), whole, rtol=1e-12)
    assert seen == [4, 4, 3]
    np.testing.assert_array_equal(net.predict(x), np.argmax(whole, axis=1))
    assert net.predict_proba(x[:0]).shape == (0, 2)  # no rows: one (empty) pass, no error


def test_forward_replaces_the_cache_instead_of_appending(rng):
    net = Network.build([4, 3, 2], "sigmoid", "mse", rng=rng)
    net.forward(rng.random((5, 4)))
    net.forward(rng.random((2, 4)))
    assert net.layers[0].cache["x"].shape == (2, 4)


def test_backward_before_forward_is_refused(rng):
    net = Network.build([4, 2], "sigmoid", "mse", rng=rng)
    with pytest.raises(RuntimeError):
        net.layers[0].backward(np.ones((1, 2)))


def test_mismatched_layers_and_cross_entropy_without_softmax_are_refused():
    with pytest.raises(ValueError, match="softmax"):
        Network.build([4, 3], "sigmoid", "cross_entropy")
    with pytest.raises(ValueError):
        Network.build([4], "relu")


def test_trace_of_the_two_layer_network_holds_every_intermediate():
    net = two_layer_network()
    trace = net.trace_step(np.array([[2.0, 3.0]]), np.array([[1.0]]), SGD(0.1))
    assert trace["forward"][1]["a"][0, 0] == 0.7216325609518421
    assert trace["forward"][0]["z"].tolist() == [[3.0, 3.0]]
    assert trace["loss"] == pytest.approx((1 - 0.7216325609518421) ** 2, rel=1e-15)
    # dL/da at the output is 2 (a - y) for one sample.
    assert trace["backward"][1]["da"][0, 0] == pytest.approx(
        2 * (0.7216325609518421 - 1), rel=1e-15
    )
    for layer, (fwd, bwd, upd) in enumerate(
        zip(trace["forward"], trace["backward"], trace["update"], strict=True)
    ):
        np.testing.assert_allclose(
            upd["W"], fwd["W"] - 0.1 * bwd["dW"], rtol=1e-15, err_msg=str(layer)
        )
        np.testing.assert_allclose(upd["b"], fwd["b"] - 0.1 * bwd["db"], rtol=1e-15)
        np.testing.assert_array_equal(upd["W"], net.layers[layer].W)
    assert trace["loss_after"] < trace["loss"]
    assert trace["loss_after"] == net.evaluate_loss(np.array([[2.0, 3.0]]), np.array([[1.0]]))


def test_trace_comes_from_the_same_step_as_training(rng):
    """A traced step and an untraced step from the same start end in the same parameters."""
    a = Network.build([6, 5, 3], ["tanh", "softmax"], "cross_entropy", rng=np.random.default_rng(1))
    b = a.copy()
    x, y = rng.random((4, 6)).astype(np.float32), rng.integers(0, 3, 4)
    loss_a = a.train_step(x, y, Adam(0.01))
    trace = b.trace_step(x, y, Adam(0.01))
    assert trace["loss"] == loss_a
    for name, p in a.parameters().items():
        np.testing.assert_array_equal(p, b.parameters()[name])


def test_train_step_returns_the_loss_and_trace_step_the_record(rng):
    net = Network.build([6, 5, 3], ["relu", "softmax"], "cross_entropy", rng=rng)
    x, y = rng.random((4, 6)).astype(np.float32), rng.integers(0, 3, 4)
    loss = net.train_step(x, y, SGD(0.1))
    assert isinstance(loss, float)
    trace = net.trace_step(x, y, SGD(0.1))
    assert isinstance(trace, dict) and trace["finite"] and trace["fused"]
    assert trace["loss"] < loss


def test_the_losss_da_is_computed_only_when_tracing(rng):
    """With softmax and cross-entropy, training needs only the fused dz; dL/da is for display."""
    net = Network.build([6, 5, 3], ["relu", "softmax"], "cross_entropy", rng=rng)
    x, y = rng.random((4, 6)).astype(np.float32), rng.integers(0, 3, 4)
    net.train_step(x, y, SGD(0.1))
    assert net.layers[-1].cache["da"] is None
    trace = net.trace_step(x, y, SGD(0.1))
    a, targets = trace["forward"][-1]["a"], net.targets(y)
    np.testing.assert_allclose(trace["backward"][-1]["da"], -targets / a / 4, rtol=1e-6)
    # Without the fused shortcut the loss's da is what backprop starts from, traced or not.
    mse = Network.build([6, 3], "sigmoid", "mse", rng=rng)
    mse.train_step(x, y, SGD(0.1))
    assert mse.layers[-1].cache["da"] is not None


def test_a_non_finite_loss_traces_as_not_finite_and_updates_nothing(rng):
    net = Network.build([3, 2], "identity", "mse", rng=rng, dtype=np.float64)
    before = {k: p.copy() for k, p in net.parameters().items()}
    trace = net.trace_step(np.array([[np.inf, 0, 0]]), np.array([[0.0, 0.0]]), SGD(0.1))
    assert trace["finite"] is False and not np.isfinite(trace["loss"])
    for name, p in net.parameters().items():
        np.testing.assert_array_equal(p, before[name])


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.05), lambda: Adam(0.01)])
def test_same_seed_gives_the_same_bytes(make, rng):
    """Two runs in one process agree for every optimiser; tests/test_golden.py pins the bytes
    of one run to a committed digest, so a change between runs or machines shows too."""
    x, y = rng.random((32, 8)).astype(np.float32), rng.integers(0, 4, 32)
    results = []
    for _ in range(2):
        net = Network.build(
            [8, 6, 4], ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(7)
        )
        opt = make()
        for _ in range(5):
            net.train_step(x, y, opt)
        results.append(b"".join(p.tobytes() for p in net.parameters().values()))
    assert results[0] == results[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_keeps_the_dtype_and_lowers_the_loss(dtype, rng):
    net = Network.build([8, 16, 4], ["relu", "softmax"], "cross_entropy", rng=rng, dtype=dtype)
    x, y = rng.random((64, 8)).astype(dtype), rng.integers(0, 4, 64)
    opt = Adam(0.01)
    first = net.train_step(x, y, opt)
    for _ in range(200):
        last = net.train_step(x, y, opt)
    assert last < first / 2
    assert all(p.dtype == dtype for p in net.parameters().values())
    assert net.layers[0].cache["a"].dtype == dtype


def test_a_non_finite_loss_updates_nothing(rng):
    net = Network.build([3, 2], "identity", "mse", rng=rng, dtype=np.float64)
    before = {k: p.copy() for k, p in net.parameters().items()}
    loss = net.train_step(np.array([[np.inf, 0, 0]]), np.array([[0.0, 0.0]]), SGD(0.1))
    assert not np.isfinite(loss)
    for name, p in net.parameters().items():
        np.testing.assert_array_equal(p, before[name])
