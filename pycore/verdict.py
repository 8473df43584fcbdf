"""Did a training run learn? A verdict in words, its likely cause, and a concrete retry.

A run whose loss became NaN is already stopped and explained by the trainer; this module judges
the runs that ended with finite numbers, because a finite loss is not yet a network that learned.
A finished run **did not learn** when, with ``accuracy`` its held-out accuracy at the end (the
last epoch's training accuracy when there are no held-out digits) and ``chance`` one over the
number of classes:

- ``accuracy <= 2 * chance`` (about as good as guessing: 20% for ten digits), or
- ``accuracy < 0.5`` and the loss stopped falling: the mean of the last batches' losses
  (``end``, the last tenth of the run, at most an epoch) is at least 0.9 times the first
  epoch's mean loss, or more than 1.5 times the loss where the run started (the mean of its
  first ten batches).

The likely cause is read from the settings, in this order: a learning rate far above what the
optimiser usually needs; mean squared error on a classification (its gradients through a
softmax or sigmoid are small); weights drawn from ``normal`` or ``uniform`` (too large for 784
inputs, so the units saturate); a learning rate far below the usual one; otherwise the
learning rate, divided by ten. Each cause comes with the settings of a retry.

It leaves out every judgement of *how well* a run learned: that is the accuracy's job.
"""

from __future__ import annotations

from .settings import BY_NAME

TYPICAL_LR = {"sgd": 0.1, "momentum": 0.01, "adam": 0.001}
"""A learning rate each optimiser usually trains these networks well with."""

CHANCE_FACTOR = 2.0
STALL_RATIO = 0.9
ROSE_RATIO = 1.5
LOW_ACCURACY = 0.5


def _round(value: float) -> float:
    """``value`` to two significant figures, so a suggestion reads 0.005, not 0.0050000001."""
    return float(f"{value:.2g}")


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def cause(settings, rose: bool) -> tuple[str, str, dict]:
    """``(cause, explanation, suggestion)`` for a run with ``settings`` that did not learn."""
    lr, typical = settings.lr, TYPICAL_LR.get(settings.optimizer, 0.01)
    if lr > 3 * typical:
        suggested = typical if lr >= 100 * typical else _round(lr / 10)
        return (
            "learning rate",
            f"the learning rate ({lr:g}) is far above what {settings.optimizer} usually needs "
            f"(about {typical:g}), so each step overshoots",
            {"lr": suggested},
        )
    if settings.loss == "mse":
        return (
            "loss/output pairing",
            f"mean squared error on a {settings.output} output gives small gradients for a "
            "classification; cross-entropy with softmax is the usual pair",
            {"loss": "cross_entropy", "output": "softmax"},
        )
    if settings.init in ("normal", "uniform"):
        better = "he" if settings.activation == "relu" else "xavier"
        return (
            "initialisation",
            f"{settings.init} initial weights are too large for 784 inputs, so the units start "
            "saturated or exploding",
            {"init": better},
        )
    if lr < typical / 30:
        return (
            "learning rate",
            f"the learning rate ({lr:g}) is far below what {settings.optimizer} usually needs "
            f"(about {typical:g}), so the steps are too small to get anywhere",
            {"lr": _round(lr * 10)},
        )
    how = "the loss rose" if rose else "the loss stopped falling"
    return (
        "learning rate",
        f"{how} at learning rate {lr:g}; a smaller one usually helps",
        {"lr": _round(lr / 10)},
    )


def judge(
    settings,
    losses_start: float,
    first_epoch_loss: float,
    end_loss: float,
    accuracy: float | None,
    n_classes: int,
    held_out: bool = True,
) -> dict:
    """The verdict on a finished run (see the module docstring for the rule).

    Returns ``{"learned", "reason", "cause", "suggestion", "message"}``: ``reason`` is one
    sentence on what happened, ``message`` the sentence a person reads (the reason, the likely
    cause and the retry); ``cause`` and ``suggestion`` are None for a run that learned.
    """
    chance = 1.0 / max(n_classes, 1)
    what = "held-out" if held_out else "training"
    rose = end_loss > ROSE_RATIO * losses_start
    stalled = end_loss >= STALL_RATIO * first_epoch_loss
    low = accuracy is not None and accuracy < LOW_ACCURACY
    if accuracy is not None and accuracy <= CHANCE_FACTOR * chance:
        reason = (
            f"The {what} accuracy is {_percent(accuracy)}, close to the {_percent(chance)} of "
            "guessing."
        )
    elif low and (rose or stalled):
        where = (
            f"far above where it started ({losses_start:.3g})"
            if rose
            else f"no lower than in the first epoch ({first_epoch_loss:.3g})"
        )
        reason = (
            f"The loss ended at {end_loss:.3g}, {where}, and only {_percent(accuracy)} of the "
            f"{what} digits are right."
        )
    else:
        return {
            "learned": True,
            "reason": f"The {what} accuracy rose to {_percent(accuracy)}."
            if accuracy is not None
            else "The loss fell.",
            "cause": None,
            "suggestion": None,
            "message": "",
        }
    name, why, suggestion = cause(settings, rose)
    return {
        "learned": False,
        "reason": reason,
        "cause": name,
        "suggestion": suggestion,
        "message": f"The run did not learn. {reason} Likely cause: {why}. Try {retry(suggestion)}.",
    }


def retry(suggestion: dict) -> str:
    """``{"lr": 0.001}`` in words: "learning rate 0.001"."""
    parts = []
    for key, value in suggestion.items():
        setting = BY_NAME[key]
        words = dict(setting.choices).get(value, value) if setting.choices else f"{value:g}"
        parts.append(f"{setting.label.lower()} {words}")
    return " and ".join(parts)


def diverged(settings) -> dict:
    """The verdict on a run stopped because its loss stopped being a finite number."""
    lr = settings.lr
    return {
        "learned": False,
        "reason": "The loss became too large to be a number.",
        "cause": "learning rate",
        "suggestion": {"lr": _round(lr / 10)},
        "message": "",
    }
