"""The pretrained default recipe: its schedule and weight averaging, determinism, and accuracy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pycore import modelfile
from pycore.augment import distort
from pycore.train import RECIPES, Settings, SettingsError, Trainer

ROOT = Path(__file__).resolve().parent.parent


def _default(**changes) -> Settings:
    return Settings.from_dict({**RECIPES["default"], **changes})


def _bytes(net) -> bytes:
    return b"".join(p.tobytes() for p in net.parameters().values())


def test_default_recipe_augments_anneals_and_averages():
    s = _default()
    assert s.augment and s.elastic > 0 and s.rotation > 0 and s.shift > 0
    assert s.lr_schedule == "cosine" and 0 < s.ema < 1


@pytest.mark.parametrize(
    ("values", "field"),
    [({"lr_schedule": "linear"}, "lr_schedule"), ({"ema": 1}, "ema"), ({"ema": "-0.5"}, "ema")],
)
def test_schedule_and_averaging_settings_are_checked(values, field):
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(values)
    assert info.value.field == field


def test_cosine_schedule_falls_smoothly_from_lr_towards_zero(rng):
    x, y = rng.random((100, 784), dtype=np.float32), rng.integers(0, 10, 100)
    s = Settings.from_dict(
        {"hidden": [4], "lr": 0.002, "batch_size": 10, "epochs": 3, "lr_schedule": "cosine"}
    )
    trainer = Trainer(s.build(), s, x, y)
    rates = [trainer.learning_rate(step) for step in range(trainer.total_steps)]
    assert rates[0] == pytest.approx(0.002)
    assert rates[trainer.total_steps // 2] == pytest.approx(0.001)
    assert 0 < rates[-1] < 0.002 * 0.01
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))
    # The optimiser really uses it: the rate reported after each batch is that batch's.
    for step in range(5):
        assert trainer.run(max_batches=1)["lr"] == pytest.approx(rates[step])


def test_exponential_schedule_lowers_the_rate_once_per_epoch(rng):
    x, y = rng.random((40, 784), dtype=np.float32), rng.integers(0, 10, 40)
    s = Settings.from_dict({"hidden": [4], "lr": 0.01, "lr_decay": 0.5, "batch_size": 10})
    trainer = Trainer(s.build(), s, x, y)
    assert [trainer.learning_rate(step) for step in (0, 3, 4, 8)] == [0.01, 0.01, 0.005, 0.0025]


def test_averaged_weights_are_measured_during_the_run_and_kept_at_the_end(subset):
    x, y = subset.train.images()[:1000], subset.train.labels[:1000]
    test = (subset.test.images()[:500], subset.test.labels[:500])
    s = Settings.from_dict(
        {"hidden": [32], "epochs": 2, "batch_size": 50, "lr": 0.003, "ema": 0.9, "seed": 4}
    )
    trainer = Trainer(s.build(), s, x, y, test)
    trainer.run(max_batches=trainer.batches_per_epoch - 1)
    live = {k: p.copy() for k, p in trainer.net.parameters().items()}
    progress = trainer.run(max_batches=1)  # ends the first epoch: measured with the average
    assert progress["epoch"] == 1 and progress["test_accuracy"] > 0.6
    after = trainer.net.parameters()
    # Evaluating swapped the average in and the live weights back: training went on from them.
    assert any(not np.array_equal(after[k], trainer.ema[k]) for k in after)
    assert any(not np.array_equal(after[k], live[k]) for k in after)  # one more step was taken
    trainer.run()
    assert trainer.done and "averaged" in trainer.message
    for name, p in trainer.net.parameters().items():
        np.testing.assert_array_equal(p, trainer.ema[name])
    assert trainer.evaluate() == trainer.test_accuracy


def test_the_default_recipe_is_deterministic_for_a_seed(subset):
    """A few batches of the real recipe (augmentation, schedule, averaging) give equal bytes."""
    x, y = subset.train.images()[:1024], subset.train.labels[:1024]

    def run(seed: int) -> bytes:
        s = _default(seed=seed)
        trainer = Trainer(s.build(), s, x, y)
        trainer.run(max_batches=3)
        return _bytes(trainer.net) + b"".join(p.tobytes() for p in trainer.ema.values())

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_elastic_distortion_moves_ink_by_at_most_its_strength():
    x = np.zeros((64, 784), np.float32)
    x[:, 14 * 28 + 14] = 1  # one dot in the middle of each image
    moved = distort(x, np.random.default_rng(5), rotation=0, shift=0, scale=0, elastic=3.0)
    ys, xs = np.divmod(np.arange(784), 28)
    mass = moved.sum(axis=1)
    assert np.all(mass > 0.2)  # the dot is still there, somewhere
    shift_y = (moved * ys).sum(axis=1) / mass - 14
    shift_x = (moved * xs).sum(axis=1) / mass - 14
    # Each direction of the field is scaled to at most 3 pixels (plus bilinear spreading).
    assert np.all(np.abs(shift_y) <= 3.5) and np.all(np.abs(shift_x) <= 3.5)
    assert np.hypot(shift_y, shift_x).mean() > 0.5  # it does move the dot
    assert np.abs(shift_y).max() > 1.5 and np.abs(shift_x).max() > 1.5


@pytest.mark.slow
def test_the_shipped_model_is_the_default_recipe_and_reads_the_held_out_digits(subset):
    """The site's model (trained by scripts/build_model.py when the site is built, on the 8,000
    training digits only) is the default recipe's network and holds what it measured."""
    net, meta = modelfile.load(ROOT / "dist" / "models" / "default.npz")
    assert net.describe() == Settings.from_dict(RECIPES["default"]).build().describe()
    assert meta["training"] == {**Settings.from_dict(RECIPES["default"]).to_dict(),
                                "seconds": meta["training"]["seconds"]}  # fmt: skip
    predicted = net.predict(subset.test.images())
    accuracy = float(np.mean(predicted == subset.test.labels))
    print(f"shipped model: {accuracy:.4f} held-out, trained in {meta['training']['seconds']} s")
    assert round(accuracy, 4) == round(meta["metrics"]["test_accuracy"], 4)
    assert accuracy >= 0.985
