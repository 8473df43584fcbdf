"""Dropout and label smoothing: what they do, their gradients, files, settings and the trace."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import modelfile, optim, stepthrough
from pycore.conv import Conv2D, Flatten, MaxPool2D, from_description
from pycore.gradcheck import check_network, numeric_gradient, relative_error
from pycore.layers import Dense, Dropout
from pycore.network import Network
from pycore.optim import SGD
from pycore.settings import Settings, SettingsError
from pycore.train import Trainer


def _cnn(rng, rate=0.5, dtype=np.float64) -> Network:
    return Network(
        [
            Conv2D(1, 2, 3, activation="relu", rng=rng, dtype=dtype),
            MaxPool2D(2),
            Flatten(),
            Dense(2 * 3 * 3, 12, "relu", rng=rng, dtype=dtype),
            Dropout(rate, np.random.default_rng(7)),
            Dense(12, 4, "softmax", rng=rng, init="xavier", dtype=dtype),
        ],
        "cross_entropy",
        (1, 8, 8),
    )


def test_training_drops_a_share_and_scales_the_rest_predicting_drops_nothing():
    layer = Dropout(0.3, np.random.default_rng(0))
    x = np.random.default_rng(1).random((50, 400)).astype(np.float32) + 0.5
    a = layer.forward(x)
    kept = a != 0
    assert 0.68 < kept.mean() < 0.72
    np.testing.assert_allclose(a[kept], x[kept] / 0.7, rtol=1e-6)
    assert a.dtype == np.float32 and layer.cache["mask"].shape == x.shape
    assert np.array_equal(layer.apply(x), x)
    # a fresh mask each training step, the same masks again from the same seed
    again = Dropout(0.3, np.random.default_rng(0))
    assert np.array_equal(again.forward(x), a)
    assert not np.array_equal(layer.forward(x), a)


def test_backward_passes_the_gradient_through_the_kept_values_only(rng):
    layer = Dropout(0.5, np.random.default_rng(3))
    x = rng.normal(0, 1, (4, 9))
    R = rng.normal(0, 1, (4, 9))
    layer.forward(x)
    dx = layer.backward(R)
    layer.fix_mask(layer.cache["mask"])
    numeric = numeric_gradient(lambda: float(np.sum(layer.apply(x) * R)), x, 1e-6)
    assert relative_error(dx, numeric) < 1e-8
    assert np.all(dx[layer.cache["mask"] == 0] == 0) and np.any(dx != 0)


@pytest.mark.parametrize("rate", [0.25, 0.5])
def test_whole_cnn_with_dropout_gradients_match_finite_differences(rate, rng):
    net = _cnn(rng, rate)
    x = rng.random((3, 64))
    y = np.array([0, 2, 3])
    report = check_network(net, x, y)
    assert set(report) == {f"layers.{i}.{p}" for i in (0, 3, 5) for p in "Wb"}
    assert all(r["error"] < 1e-6 for r in report.values()), report


def test_the_check_fails_when_backward_forgets_the_mask(rng, monkeypatch):
    """The network check can fail: a dropout whose backward passes every gradient is caught."""
    monkeypatch.setattr(Dropout, "backward", lambda self, da, dz=None, need_dx=True: da)
    report = check_network(_cnn(rng), rng.random((3, 64)), np.array([0, 2, 3]))
    assert max(r["error"] for r in report.values()) > 1e-3


def test_dropout_in_a_model_file_round_trips_and_loading_draws_nothing(tmp_path, rng):
    net = _cnn(rng, 0.25, np.float32)
    path = tmp_path / "drop.npz"
    modelfile.save(net, path)
    loaded, record = modelfile.load(path)
    assert record["layers"][4] == {"kind": "dropout", "rate": 0.25}
    assert loaded.layers[4].rng is None  # no generator until a training step needs one
    x = rng.random((5, 64)).astype(np.float32)
    assert np.array_equal(loaded.predict_proba(x), net.predict_proba(x))
    assert "dropout 0.25" in loaded.layers_text()


@pytest.mark.parametrize("rate", [1, 1.5, -0.1, "0.5", True, None, float("nan"), float("inf")])
def test_bad_dropout_descriptions_are_refused(rate):
    with pytest.raises(ValueError, match="rate"):
        from_description({"kind": "dropout", "rate": rate})
    with pytest.raises(ValueError):
        from_description({"kind": "dropout"})


def test_settings_put_dropout_after_each_hidden_layer_of_a_cnn():
    net = Settings.from_dict({"conv": [2], "hidden": [8, 6], "dropout": 0.4}).build()
    kinds = [layer.describe()["kind"] for layer in net.layers]
    assert kinds == [
        "conv2d", "maxpool2d", "flatten", "dense", "dropout", "dense", "dropout", "dense",
    ]  # fmt: skip
    assert net.layers[4].rate == 0.4
    assert [layer.kind for layer in Settings.from_dict({"conv": [2]}).build().layers].count(
        "dropout"
    ) == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"dropout": 0.5}, "dropout"),
        ({"conv": [2], "hidden": [], "dropout": 0.5}, "dropout"),
        ({"conv": [2], "dropout": 0.95}, "dropout"),
        ({"label_smoothing": 0.1, "loss": "mse", "output": "sigmoid"}, "label_smoothing"),
        ({"label_smoothing": 0.6}, "label_smoothing"),
    ],
)
def test_bad_dropout_and_smoothing_settings_name_their_field(values, field):
    with pytest.raises(SettingsError) as error:
        Settings.from_dict(values)
    assert error.value.field == field


def test_label_smoothing_trains_towards_soft_targets(rng):
    x = rng.random((16, 784)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    s = Settings.from_dict(
        {
            "hidden": [8],
            "batch_size": 16,
            "epochs": 1,
            "label_smoothing": 0.1,
            "lr": 0.5,
            "optimizer": "sgd",
        }
    )
    trainer = Trainer(s.build(), s, x, y)
    soft = trainer._targets(y)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(soft[np.arange(16), y], 0.9 + 0.01, rtol=1e-6)
    # One step of the trainer is one step of the network towards those soft targets.
    by_hand = s.build()
    batch_x, batch_y = trainer._batch()
    trainer.step = 0
    by_hand.train_step(batch_x, trainer._targets(batch_y), optim.get(s.optimizer, s.lr))
    hard = s.build()
    hard.train_step(batch_x, batch_y, optim.get(s.optimizer, s.lr))
    trainer.run(max_batches=1)  # the same 16 digits (in another order: sums differ by rounding)
    for name, p in trainer.net.parameters().items():
        np.testing.assert_allclose(p, by_hand.parameters()[name], atol=1e-6)
    moved = trainer.net.parameters()["layers.1.b"] - hard.parameters()["layers.1.b"]
    assert np.abs(moved).max() > 1e-4


def test_the_step_through_shows_the_dropout_with_its_own_numbers(rng):
    net = _cnn(rng, 0.5, np.float32)
    x, y = rng.random((1, 64)).astype(np.float32), np.array([1])
    opt = SGD(0.1)
    trace = net.trace_step(x, y, opt)
    fw, bw = trace["forward"][4], trace["backward"][4]
    np.testing.assert_array_equal(fw["a"], fw["x"] * fw["mask"])
    np.testing.assert_array_equal(trace["backward"][3]["da"], bw["da"] * fw["mask"])
    kinds = [s["kind"] for s in stepthrough.steps(trace, net, opt)]
    assert "dropout" in kinds and "undropout" in kinds
    assert kinds.index("undropout") > kinds.index("loss")
    # The loss after the update runs the batch through the same masks it was trained with.
    net.layers[4].fix_mask(fw["mask"])
    assert trace["loss_after"] == net.evaluate_loss(x, y)
