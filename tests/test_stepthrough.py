"""The step-through: steps in the right order, the real numbers, and the lines that ran."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import Network, modelfile
from pycore.data import default_path
from pycore.optim import SGD
from pycore.worker_api import App


@pytest.fixture
def app(subset) -> App:
    net = Network.build(
        [784, 20, 10], ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(3)
    )
    return App(default_path().read_bytes(), modelfile.to_bytes_model(net))


def _highlighted(step: dict) -> list[str]:
    src = step["source"]
    return [src["lines"][n - src["start"]] for n in src["highlight"]]


def test_two_layer_lesson_steps_show_the_worked_example(app):
    trace = app.trace_lesson("network")
    phases = [s["phase"] for s in trace["steps"]]
    assert phases == ["forward"] * 4 + ["loss"] + ["backward"] * 6 + ["update"] * 2 + ["after"]
    assert trace["tensors"]["forward.1.a"]["data"][0] == 0.7216325609518421
    assert trace["tensors"]["forward.0.a"]["data"].tolist() == [0.9525741268224334] * 2
    assert trace["dtype"] == "float64"
    assert trace["loss_after"] < trace["loss"]


def test_every_step_names_tensors_that_exist(app):
    for name in ("neuron", "network", "weight-height"):
        trace = app.trace_lesson(name)
        for step in trace["steps"]:
            for tensor in step["tensors"]:
                assert tensor in trace["tensors"], (name, step["title"], tensor)
            assert step["equation"] and step["explain"] and step["source"]["highlight"]


def test_highlighted_lines_contain_the_operation_of_each_step(app):
    trace = app.trace_digit(0)
    for step in trace["steps"]:
        text = " ".join(_highlighted(step))
        title = step["title"]
        if title.endswith("weighted sums"):
            assert "z = matmul(x, self.W.T) + self.b" in text
        elif "activation (relu)" in title:
            assert "np.maximum(z, 0)" in text
        elif "activation (softmax)" in title:
            assert "return e / e.sum" in text
        elif title.endswith("dL/dW and dL/db"):
            assert "dW = matmul(dz.T, x)" in text and "db = dz.sum(axis=0)" in text
        elif step["phase"] == "update":
            assert "p -= self.lr * g" in text
        elif title.endswith("dL/dz") and step["layer"] == 1:
            assert "(a - y) / a.shape[0]" in text  # softmax + cross-entropy, fused
        elif title.endswith("dL/dz"):
            assert "da * (z > 0)" in text
    assert {s["source"]["file"] for s in trace["steps"]} >= {"pycore/layers.py", "pycore/optim.py"}


def test_weight_height_trace_for_alice_holds_the_hand_derived_gradient(app):
    trace = app.trace_lesson("weight-height", sample=0)
    dW1 = trace["tensors"]["backward.0.dW"]["data"]
    assert abs(dW1[0] - 0.0214) < 1e-4
    assert trace["sample"].startswith("Alice")


def test_digit_trace_losses_match_an_independent_step_and_leave_the_model_alone(app, subset):
    before = {k: v.copy() for k, v in app.net.parameters().items()}
    trace = app.trace_digit(11, lr=0.05)
    for name, p in app.net.parameters().items():
        np.testing.assert_array_equal(p, before[name])
    net = app.net.copy()
    x, y = subset.test.images()[11:12], subset.test.labels[11:12]
    loss = net.train_step(x, y, SGD(0.05))
    assert trace["loss"] == loss
    assert trace["loss_after"] == net.evaluate_loss(x, y)
    assert trace["tensors"]["forward.0.W"]["shape"] == [20, 784]
    assert trace["tensors"]["x"]["data"].dtype == np.float32


def test_drawing_trace_uses_the_given_label(app):
    drawing = np.zeros((100, 100), np.uint8)
    drawing[20:80, 45:55] = 255
    trace = app.trace_digit(pixels=drawing.tobytes(), width=100, height=100, label=1, lr=0.1)
    assert trace["label"] == 1 and trace["tensors"]["y"]["data"].tolist() == [0, 1] + [0] * 8
    with pytest.raises(ValueError, match="empty"):
        app.trace_digit(pixels=bytes(100 * 100), width=100, height=100)


def test_every_step_says_what_it_computes_and_computes_each_tensor_once(app):
    kinds = ["z", "a", "z", "a", "loss", "da_loss", "dz", "dW", "da", "dz", "dW"]
    kinds += ["update", "update", "after"]
    for trace in (app.trace_lesson("network"), app.trace_digit(4, lr=0.1)):
        assert [s["kind"] for s in trace["steps"]] == kinds
        produced = [name for s in trace["steps"] for name in s["outputs"]]
        assert len(produced) == len(set(produced))
        for step in trace["steps"]:
            assert set(step["outputs"]) <= set(step["tensors"]), step["title"]
        # Every computed tensor of the trace is produced by exactly one step.
        computed = {k for k in trace["tensors"] if k.split(".")[-1] not in ("x", "W", "b", "y")}
        computed |= {f"update.{i}.{p}" for i in range(2) for p in "Wb"}
        assert computed == set(produced)


def test_mse_lesson_steps_through_the_all_zero_predictions(app):
    trace = app.trace_lesson("mse", lr=0.1)
    assert trace["sizes"] == [1, 1] and trace["loss"] == 0.5
    assert trace["tensors"]["forward.0.a"]["data"].tolist() == [0.0] * 4
    # dL/db = mean of 2 (0 - y) = -1; one step of 0.1 moves every prediction to 0.1.
    assert trace["tensors"]["backward.0.db"]["data"].tolist() == [-1.0]
    assert trace["tensors"]["backward.0.dW"]["data"].tolist() == [0.0]
    assert abs(trace["loss_after"] - (2 * 0.9**2 + 2 * 0.1**2) / 4) < 1e-15
    assert "fell from 0.5" in trace["steps"][-1]["explain"]


def test_mnist_lesson_traces_the_lessons_own_784_10_10_network(app, subset):
    trace = app.trace_lesson("mnist-784-10-10", sample=7, lr=0.1)
    assert trace["sizes"] == [784, 10, 10] and trace["index"] == 7
    assert trace["label"] == int(subset.test.labels[7])
    assert trace["tensors"]["backward.0.dW"]["shape"] == [10, 784]
    assert app.net.sizes == [784, 20, 10]  # the current network is not touched


def test_digit_trace_can_use_another_loss_and_says_which(app, subset):
    trace = app.trace_digit(5, lr=0.1, loss="mse")
    assert trace["loss_name"] == "mse"
    assert [s["title"] for s in trace["steps"] if s["phase"] == "loss"] == [
        "Loss (mean squared error)"
    ]
    net = Network(app.net.copy().layers, "mse")
    x, y = subset.test.images()[5:6], subset.test.labels[5:6]
    assert trace["loss"] == net.train_step(x, y, SGD(0.1))
    assert app.net.loss.name == "cross_entropy"
    with pytest.raises(ValueError, match="positive"):
        app.trace_digit(5, lr=-1)


def test_equations_use_one_upright_name_per_activation(app):
    trace = app.trace_lesson("network")
    eqs = [s["equation"] for s in trace["steps"]]
    assert r"a^{[1]} = \sigma(z^{[1]})" in eqs
    assert not any("sigmoid" in e for e in eqs)
    dz = [s for s in trace["steps"] if s["kind"] == "dz"][0]
    assert r"a^{[2]} \odot (1 - a^{[2]})" in dz["equation"]
