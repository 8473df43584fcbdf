"""The verdict on a finished run: learned or not, the likely cause, and a retry that fits it."""

from __future__ import annotations

import pytest

from pycore.settings import Settings
from pycore.verdict import judge, retry


def _judge(accuracy, start=2.3, first=2.0, end=0.3, held_out=True, **settings):
    return judge(Settings.from_dict(settings), start, first, end, accuracy, 10, held_out)


def test_a_run_near_chance_did_not_learn():
    verdict = _judge(0.19, lr=50)
    assert verdict["learned"] is False and verdict["cause"] == "learning rate"
    assert verdict["reason"] == "The held-out accuracy is 19.0%, close to the 10.0% of guessing."
    assert verdict["message"].endswith("Try learning rate 0.001.")


def test_a_run_just_above_twice_chance_with_a_falling_loss_learned():
    verdict = _judge(0.21)
    assert verdict["learned"] is True and verdict["cause"] is None and verdict["message"] == ""


def test_a_loss_that_stopped_falling_with_low_accuracy_did_not_learn():
    stalled = _judge(0.4, first=1.0, end=0.95, loss="mse", output="softmax")
    assert stalled["learned"] is False and "no lower than in the first epoch" in stalled["reason"]
    assert stalled["cause"] == "loss/output pairing"
    rose = _judge(0.3, start=2.3, first=1.0, end=4.0, optimizer="sgd", lr=0.2)
    assert rose["learned"] is False and "far above where it started (2.3)" in rose["reason"]
    assert rose["suggestion"] == {"lr": 0.02}
    high = _judge(0.8, first=1.0, end=0.95)
    assert high["learned"] is True, "a stalled loss with a high accuracy still learned"


@pytest.mark.parametrize(
    ("settings", "suggestion"),
    [
        ({"lr": 0.05}, {"lr": 0.005}),  # 50x adam's usual rate: a tenth
        ({"lr": 0.5}, {"lr": 0.001}),  # 500x: the usual rate itself
        ({"init": "uniform", "activation": "tanh"}, {"init": "xavier"}),
        ({"optimizer": "sgd", "lr": 0.001}, {"lr": 0.01}),
    ],
)
def test_each_cause_suggests_a_concrete_retry(settings, suggestion):
    assert _judge(0.1, **settings)["suggestion"] == suggestion


def test_without_held_out_digits_the_training_accuracy_is_judged():
    verdict = _judge(0.1, held_out=False)
    assert verdict["reason"].startswith("The training accuracy is 10.0%")


def test_retry_in_words():
    assert retry({"loss": "cross_entropy", "output": "softmax"}) == (
        "loss cross-entropy and output activation softmax"
    )
