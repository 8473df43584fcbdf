"""Settings checks, training in slices, divergence, and the trainer's bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

from pycore.train import RECIPES, Settings, SettingsError, Trainer


def _toy(rng, n=256):
    """Four well separated classes in 784 dimensions: easy to learn in a few batches."""
    centres = rng.random((4, 784)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    x = centres[labels] + rng.normal(0, 0.05, (n, 784)).astype(np.float32)
    return np.clip(x, 0, 1).astype(np.float32), labels


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"lr": "fast"}, "lr"),
        ({"lr": -0.1}, "lr"),
        ({"lr": "nan"}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"epochs": "ten"}, "epochs"),
        ({"hidden": "128,abc"}, "hidden"),
        ({"hidden": [0]}, "hidden"),
        ({"activation": "swish"}, "activation"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"loss": "cross_entropy", "output": "sigmoid"}, "output"),
        ({"augment": "maybe"}, "augment"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_settings_name_the_field(values, field):
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(values)
    assert info.value.field == field


def test_settings_parse_text_from_a_form():
    s = Settings.from_dict(
        {
            "hidden": "256, 64",
            "lr": " 0.01 ",
            "batch_size": "32",
            "augment": "on",
            "loss": "Cross-Entropy",
        }
    )
    assert (s.hidden, s.lr, s.batch_size, s.augment, s.loss) == (
        [256, 64],
        0.01,
        32,
        True,
        "cross_entropy",
    )


def test_every_recipe_is_valid():
    for values in RECIPES.values():
        Settings.from_dict(values)


def test_training_in_slices_equals_training_in_one_go(rng):
    x, y = _toy(rng)
    s = Settings.from_dict(
        {"hidden": [8], "epochs": 2, "batch_size": 32, "augment": True, "seed": 3}
    )
    one = Trainer(s.build(), s, x, y)
    one.run()
    sliced = Trainer(s.build(), s, x, y)
    sizes = []
    while not sliced.done:
        sizes.append(len(sliced.run(max_batches=3)["losses"]))
    assert sizes[:-1] == [3] * (len(sizes) - 1) and sum(sizes) == one.total_steps == 16
    for name, p in one.net.parameters().items():
        np.testing.assert_array_equal(p, sliced.net.parameters()[name])


def test_progress_reports_loss_accuracy_and_speed(rng):
    x, y = _toy(rng)
    s = Settings.from_dict({"hidden": [16], "epochs": 3, "batch_size": 32, "lr": 0.01})
    trainer = Trainer(s.build(), s, x, y, test=(x[:64], y[:64]))
    first = trainer.run(max_batches=2)
    assert first["step"] == 2 and len(first["losses"]) == 2 and first["test_accuracy"] is None
    assert first["examples_per_second"] > 0
    last = trainer.run()
    assert last["done"] and not last["diverged"] and last["epoch"] == 3
    assert last["losses"][-1] < first["losses"][0]
    assert last["test_accuracy"] > 0.9 and last["train_accuracy"] > 0.8


def test_a_time_budget_ends_a_slice_after_at_least_one_batch(rng):
    x, y = _toy(rng)
    s = Settings.from_dict({"hidden": [8], "epochs": 50})
    trainer = Trainer(s.build(), s, x, y)
    progress = trainer.run(max_seconds=0.0)
    assert len(progress["losses"]) == 1 and not progress["done"]


def test_divergence_stops_says_why_and_keeps_the_last_good_parameters(rng):
    x, y = _toy(rng)
    s = Settings.from_dict(
        {
            "hidden": [32],
            "activation": "identity",
            "output": "identity",
            "loss": "mse",
            "optimizer": "sgd",
            "lr": 50,
            "epochs": 20,
            "batch_size": 32,
        }
    )
    trainer = Trainer(s.build(), s, x, y)
    progress = trainer.run()
    assert progress["diverged"] and progress["done"]
    assert "learning rate" in progress["message"] and "too high" in progress["message"]
    params = trainer.net.parameters()
    assert all(np.all(np.isfinite(p)) for p in params.values())
    # The kept parameters are the ones whose loss was last finite.
    assert np.isfinite(trainer.net.evaluate_loss(x[:32], y[:32]))
    assert trainer.run()["losses"] == []


def test_seeded_runs_are_identical_and_seeds_differ(rng):
    x, y = _toy(rng)

    def run(seed):
        s = Settings.from_dict({"hidden": [8], "epochs": 1, "seed": seed, "augment": True})
        t = Trainer(s.build(), s, x, y)
        t.run()
        return b"".join(p.tobytes() for p in t.net.parameters().values())

    assert run(1) == run(1)
    assert run(1) != run(2)
