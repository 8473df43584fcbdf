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


def test_the_held_out_accuracy_is_measured_every_few_epochs_and_at_the_end(rng):
    x, y = _toy(rng)
    s = Settings.from_dict({"hidden": [16], "epochs": 5, "batch_size": 32, "lr": 0.01})
    every = Trainer(s.build(), s, x, y, test=(x[:64], y[:64]))
    every.run()
    sparse = Trainer(s.build(), s, x, y, test=(x[:64], y[:64]), held_out_every=2)
    calls = []
    measure = sparse.evaluate
    sparse.evaluate = lambda: calls.append(sparse.epoch) or measure()
    sparse.run()
    assert calls == [2, 4, 5]  # every second epoch, and the last
    got = [r["test_accuracy"] for r in sparse.history]
    want = [r["test_accuracy"] for r in every.history]
    assert got[0] is None and got[2] is None and None not in want
    assert got[1] == want[1] and got[3] == want[3] and got[4] == want[4]  # the same run
    assert sparse.verdict == every.verdict
    with pytest.raises(ValueError, match="held_out_every"):
        Trainer(s.build(), s, x, y, held_out_every=0)


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


def _digits(subset, n=2000):
    test = (subset.test.images()[:500], subset.test.labels[:500])
    return subset.train.images()[:n], subset.train.labels[:n], test


def test_a_run_at_learning_rate_50_did_not_learn_and_suggests_a_smaller_rate(subset):
    x, y, test = _digits(subset)
    s = Settings.from_dict({"hidden": [16], "epochs": 2, "lr": 50})
    trainer = Trainer(s.build(), s, x, y, test)
    progress = trainer.run()
    assert progress["done"] and not progress["diverged"]
    verdict = progress["verdict"]
    assert verdict["learned"] is False and verdict["cause"] == "learning rate"
    assert verdict["suggestion"] == {"lr": 0.001}
    assert "close to the 10.0% of guessing" in verdict["reason"]
    assert verdict["message"].startswith("The run did not learn.")


def test_a_normal_run_learned(subset):
    x, y, test = _digits(subset)
    s = Settings.from_dict({"hidden": [16], "epochs": 2, "lr": 0.003})
    trainer = Trainer(s.build(), s, x, y, test)
    first = trainer.run(max_batches=3)
    assert first["verdict"] is None, "no verdict before the run ends"
    verdict = trainer.run()["verdict"]
    assert verdict["learned"] is True and verdict["cause"] is None and verdict["suggestion"] is None


@pytest.mark.parametrize(
    ("settings", "cause", "suggestion"),
    [
        ({"loss": "mse", "output": "softmax", "optimizer": "sgd", "lr": 0.1},
         "loss/output pairing", {"loss": "cross_entropy", "output": "softmax"}),
        ({"init": "normal"}, "initialisation", {"init": "he"}),
        ({"lr": 1e-6}, "learning rate", {"lr": 1e-5}),
    ],
)  # fmt: skip
def test_the_verdict_names_the_likely_cause(subset, settings, cause, suggestion):
    x, y, test = _digits(subset)
    s = Settings.from_dict({"hidden": [16], "epochs": 1, **settings})
    trainer = Trainer(s.build(), s, x, y, test)
    verdict = trainer.run()["verdict"]
    assert (verdict["learned"], verdict["cause"], verdict["suggestion"]) == (
        False,
        cause,
        suggestion,
    )


def test_a_diverged_run_carries_a_learning_rate_verdict(rng):
    x, y = _toy(rng)
    s = Settings.from_dict(
        {"hidden": [32], "activation": "identity", "output": "identity", "loss": "mse",
         "optimizer": "sgd", "lr": 50, "epochs": 20, "batch_size": 32}
    )  # fmt: skip
    progress = Trainer(s.build(), s, x, y).run()
    assert progress["diverged"]
    assert progress["verdict"]["learned"] is False and progress["verdict"]["suggestion"] == {
        "lr": 5.0
    }


def _curves(trainer: Trainer, slicing) -> tuple[list, list]:
    losses, epochs = [], []
    while not trainer.done:
        progress = slicing(trainer)
        losses += list(progress["losses"])
        epochs += progress["epochs"]
    return losses, epochs


def test_the_same_seed_gives_the_same_curves_however_the_run_is_sliced(rng):
    """Epoch training accuracy is counted per batch, so slice boundaries cannot change it."""
    x, y = _toy(rng, n=300)  # 10 batches of 32 a epoch, the last one 12 examples
    test = (x[:64], y[:64])
    s = Settings.from_dict({"hidden": [8], "epochs": 3, "batch_size": 32, "lr": 0.003})
    one = _curves(Trainer(s.build(), s, x, y, test), lambda t: t.run())
    sizes = iter([1, 7, 2, 9, 3, 4, 1, 5] * 4)
    uneven = _curves(Trainer(s.build(), s, x, y, test), lambda t: t.run(max_batches=next(sizes)))
    timed = _curves(Trainer(s.build(), s, x, y, test), lambda t: t.run(max_seconds=0.0))
    assert one == uneven == timed
    losses, epochs = one
    assert len(losses) == 30 and [e["epoch"] for e in epochs] == [1, 2, 3]
    assert all(0 <= e["train_accuracy"] <= 1 and e["test_accuracy"] is not None for e in epochs)
    assert epochs[0]["loss"] == pytest.approx(np.mean(losses[:10]))


def test_written_forms_add_ink_only_to_the_chosen_ones_and_sevens():
    from pycore.augment import written_forms

    rng = np.random.default_rng(0)
    images = np.zeros((30, 784), np.float32)
    images.reshape(30, 28, 28)[:, 6:22, 13:15] = 1.0  # a bare vertical stroke
    labels = np.array([1, 7, 3] * 10)
    out = written_forms(images, labels, rng, 1.0)
    added = (out - images).reshape(30, -1).sum(axis=1)
    assert np.all(added[labels != 3] > 2) and np.all(added[labels == 3] == 0)
    assert np.all(out >= images) and out.max() <= 1.0
    assert np.array_equal(written_forms(images, labels, rng, 0.0), images)
