"""Optimisers against their update rules, written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pycore.optim import SGD, Adam, Momentum, get


def test_sgd_step_is_exact():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    SGD(0.1).step({"p": p}, {"p": g})
    np.testing.assert_array_equal(p, [1.0 - 0.05, -2.0 - 0.025])


def test_momentum_accumulates_velocity():
    p, opt = np.array([0.0]), Momentum(0.1, beta=0.9)
    opt.step({"p": p}, {"p": np.array([1.0])})
    opt.step({"p": p}, {"p": np.array([1.0])})
    # v1 = 1, v2 = 0.9 + 1 = 1.9; p = -0.1 - 0.19
    assert p[0] == pytest.approx(-0.29, abs=1e-15)


def test_adam_matches_the_textbook_rule_with_bias_correction(rng):
    p = rng.normal(0, 1, 5)
    reference = p.copy()
    m = v = np.zeros(5)
    opt = Adam(0.01)
    for t in range(1, 6):
        g = rng.normal(0, 1, 5)
        opt.step({"p": p}, {"p": g})
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        reference -= 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(p, reference, rtol=1e-12)


def test_adam_first_step_has_the_size_of_the_learning_rate():
    p = np.zeros(3)
    Adam(0.001).step({"p": p}, {"p": np.array([5.0, -0.1, 1e-3])})
    np.testing.assert_allclose(np.abs(p), 0.001, rtol=1e-4)


def test_bad_learning_rates_and_names_are_refused():
    for lr in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            SGD(lr)
    with pytest.raises(ValueError, match="choose one of"):
        get("rmsprop", 0.1)
