"""The worked examples, reproduced to the last printed digit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pycore.lessons import (
    LESSONS,
    PEOPLE,
    catalog,
    run_mnist,
    run_weight_height,
    weight_height_data,
    weight_height_network,
)
from pycore.optim import SGD


def test_single_neuron_gives_the_texts_value():
    assert LESSONS["neuron"].run()["output"] == 0.9990889488055994


def test_two_layer_network_gives_the_texts_value():
    result = LESSONS["network"].run()
    assert result["output"] == 0.7216325609518421
    assert result["hidden"] == [0.9525741268224334, 0.9525741268224334]


def test_mse_of_all_zero_predictions_is_one_half():
    assert LESSONS["mse"].run()["loss"] == 0.5


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def deriv_sigmoid(z: float) -> float:
    return sigmoid(z) * (1 - sigmoid(z))


def test_alice_partial_derivatives_equal_the_hand_derivation():
    """Chain rule by hand for Alice (x = [-2, -1], y = 1) with every weight 1 and bias 0.

    h1 = f(w1 x1 + w2 x2 + b1), h2 = f(w3 x1 + w4 x2 + b2), o = f(w5 h1 + w6 h2 + b3),
    L = (y - o)^2, so dL/do = -2 (y - o), and e.g. dL/dw1 = dL/do * w5 f'(z_o) * x1 f'(z_h1).
    """
    x1, x2, y = -2.0, -1.0, 1.0
    z_h = x1 + x2  # both hidden neurons: 1*x1 + 1*x2 + 0
    h = sigmoid(z_h)
    z_o = h + h
    o = sigmoid(z_o)
    dL_do = -2 * (y - o)
    do_dh = 1 * deriv_sigmoid(z_o)  # w5 = w6 = 1
    expected = {
        "layers.0.W": [
            [dL_do * do_dh * x1 * deriv_sigmoid(z_h), dL_do * do_dh * x2 * deriv_sigmoid(z_h)]
        ]
        * 2,
        "layers.0.b": [dL_do * do_dh * deriv_sigmoid(z_h)] * 2,
        "layers.1.W": [[dL_do * deriv_sigmoid(z_o) * h, dL_do * deriv_sigmoid(z_o) * h]],
        "layers.1.b": [dL_do * deriv_sigmoid(z_o)],
    }
    got = run_weight_height(epochs=1)["alice_grads"]
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-12, err_msg=name)
    # The text prints dL/dw1 = 0.0214, from intermediates rounded to three digits.
    assert abs(got["layers.0.W"][0][0] - 0.0214) < 1e-4


def test_weight_height_training_loss_falls_and_predicts_emily_and_frank():
    result = run_weight_height()
    losses = result["losses"]
    checkpoints = losses[::100] + [losses[-1]]
    assert all(
        later < earlier for earlier, later in zip(checkpoints, checkpoints[1:], strict=False)
    )
    assert losses[-1] < 0.01
    assert result["predictions"]["Emily"] == pytest.approx(0.95, abs=0.02)
    assert result["predictions"]["Frank"] == pytest.approx(0.04, abs=0.02)


def test_per_sample_sgd_step_uses_the_learning_rate_exactly():
    x, y = weight_height_data()
    net = weight_height_network(seed=None)
    before = {k: v.copy() for k, v in net.parameters().items()}
    net.train_step(x[:1], y[:1], SGD(0.1))
    for name, p in net.parameters().items():
        np.testing.assert_allclose(p, before[name] - 0.1 * net.gradients()[name], rtol=1e-15)


@pytest.mark.slow
def test_mnist_784_10_10_by_full_batch_gradient_descent_reaches_84_percent(subset):
    result = run_mnist(subset=subset)
    assert result["losses"][-1] < result["losses"][0]
    assert result["test_accuracy"] >= 0.84, result["lines"]


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_lesson_owns_the_input_of_its_step_through(name, subset):
    lesson = LESSONS[name]
    net, x, y, about = lesson.trace_input(1, subset)
    assert about["lesson"] == name and about["sample"]
    assert x.shape[1] == net.sizes[0] and len(x) == len(y)
    assert net.loss.name == lesson.loss
    assert isinstance(net.train_step(x, y, SGD(0.1)), float)


def test_trace_samples_wrap_and_name_what_they_show(subset):
    people = LESSONS["weight-height"]
    assert people.samples == tuple(PEOPLE)
    assert people.trace_input(5)[3]["sample"].startswith("Bob:")
    digit = LESSONS["mnist-784-10-10"].trace_input(len(subset.test) + 7, subset)
    assert digit[3]["index"] == 7 and digit[3]["label"] == int(subset.test.labels[7])
    np.testing.assert_array_equal(digit[1][0], subset.test.images()[7])


def test_the_catalog_describes_every_lesson_in_order():
    rows = catalog()
    assert [r["name"] for r in rows] == list(LESSONS)
    assert all(r["traceable"] for r in rows)
    assert rows[3]["samples"] == ["Alice", "Bob", "Charlie", "Diana"]


def test_the_neuron_step_through_trains_it_towards_target_0():
    net, x, y, about = LESSONS["neuron"].trace_input(0)
    assert y.tolist() == [[0.0]] and "also trained" in about["note"]
    before = {k: p.copy() for k, p in net.parameters().items()}
    loss = net.train_step(x, y, SGD(1.0))
    assert loss == 0.9990889488055994**2
    assert net.evaluate_loss(x, y) < loss - 1e-5
    for name, p in net.parameters().items():
        assert np.all(p != before[name]), name
