"""The self-check passes on a correct network, fails on a corrupted gradient, and is quick."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import Network, modelfile
from pycore.data import default_path
from pycore.selfcheck import (
    STEP,
    TOLERANCE,
    golden_values,
    gradient_check,
    kink_distance,
    pick_entries,
    pick_samples,
    run,
)
from pycore.settings import Settings
from pycore.worker_api import App


@pytest.fixture
def net() -> Network:
    return Network.build(
        [784, 32, 16, 10],
        ["relu", "tanh", "softmax"],
        "cross_entropy",
        rng=np.random.default_rng(1),
    )


def test_every_parameter_tensor_of_every_layer_is_checked_and_passes(net, subset):
    x, y = subset.test.images()[:4], subset.test.labels[:4]
    rows = gradient_check(net, x, y, entries=20)
    assert [r["name"] for r in rows] == list(net.parameters())
    assert [r["shape"] for r in rows] == [list(p.shape) for p in net.parameters().values()]
    for r in rows:
        assert r["passed"], r
        assert r["error"] < TOLERANCE
        assert r["entries"] == min(20, r["of"])


def test_a_corrupted_gradient_fails_only_its_own_tensor(net, subset):
    x, y = subset.test.images()[:4], subset.test.labels[:4]
    rows = {r["name"]: r for r in gradient_check(net, x, y, entries=20, corrupt="layers.1.W")}
    assert not rows["layers.1.W"]["passed"]
    assert rows["layers.1.W"]["error"] > 1e-2
    assert all(r["passed"] for name, r in rows.items() if name != "layers.1.W")


def test_an_unknown_tensor_to_corrupt_is_refused(net, subset):
    with pytest.raises(ValueError, match="layers.9.W"):
        gradient_check(net, subset.test.images()[:2], subset.test.labels[:2], corrupt="layers.9.W")


def test_sampled_entries_have_nonzero_gradients(net, subset):
    """A blank border pixel has gradient 0 both ways; checking only those would prove nothing."""
    x, y = subset.test.images()[:4], subset.test.labels[:4]
    f64 = net.astype(np.float64)
    f64.forward(x.astype(np.float64))
    f64.backward(f64.targets(y))
    grad = f64.gradients()["layers.0.W"]
    assert np.mean(grad == 0) > 0.5  # most first-layer entries are 0
    picked = pick_entries(grad, 20, np.random.default_rng(0))
    assert picked.size == 20 and np.unique(picked).size == 20
    assert np.all(grad.reshape(-1)[picked] != 0)
    rows = gradient_check(net, x, y, entries=20)
    assert rows[0]["entries"] == 20 and rows[0]["error"] < TOLERANCE


def test_samples_avoid_relu_kinks(subset):
    net = Network.build([784, 8, 10], ["relu", "softmax"], "cross_entropy")
    x = subset.test.images()[:40]
    picked, h = pick_samples(net, x, 4)
    assert h == STEP
    for i in picked:
        z = net.astype(np.float64).layers[0].apply(x[i : i + 1].astype(np.float64))[0]
        assert np.min(np.abs(z)) > 1e-4


def test_a_cnn_is_checked_with_a_step_that_cannot_reach_a_kink(subset):
    """A CNN's thousands of ReLU inputs always hold some near 0: the check takes the samples
    that come least close and a step a hundred times smaller than that, and passes."""
    net = Settings.from_dict({"conv": [4], "hidden": [16], "dropout": 0.5, "seed": 1}).build()
    for layer in net.layers:  # biases as training leaves them (a fresh 0 sits on the kink)
        if layer.params:
            layer.b[:] = np.random.default_rng(2).normal(0, 0.1, layer.b.shape)
    x, labels = subset.test.images()[:40], subset.test.labels[:40]
    picked, h = pick_samples(net, x, 4)
    assert h <= kink_distance(net.astype(np.float64), x[picked].astype(np.float64)).min() / 100
    report = run(net, x, labels)
    assert report["passed"] and report["step"] == h, report["gradients"]
    assert run(net, x, labels, corrupt="layers.0.b")["passed"] is False


def test_the_golden_values_are_the_lessons_published_numbers():
    rows = {r["expected"]: r for r in golden_values()}
    for value in (0.9990889488055994, 0.7216325609518421, 0.9525741268224334, 0.5, 0.0214):
        assert rows[value]["passed"], rows[value]
    assert all(r["passed"] for r in rows.values())


def test_run_reports_pass_and_the_tolerance(net, subset):
    result = run(net, subset.test.images()[:32], subset.test.labels[:32])
    assert result["passed"] is True
    assert result["tolerance"] == TOLERANCE
    assert len(result["samples"]) == 4
    bad = run(net, subset.test.images()[:32], subset.test.labels[:32], corrupt="layers.0.b")
    assert bad["passed"] is False


def test_the_worker_self_check_on_the_pretrained_and_a_trained_network(subset):
    model = default_path().parent.parent / "models" / "default.npz"
    if not model.exists():
        pytest.skip("the pretrained model is not built")
    app = App(default_path().read_bytes(), model.read_bytes())
    assert app.self_check()["passed"]
    app.start_training({"hidden": "16", "epochs": 1, "batch_size": 64}, fresh=True)
    app.train_slice(max_batches=20, max_seconds=None)
    report = app.self_check()
    assert report["passed"], report
    assert [r["shape"] for r in report["gradients"]] == [[16, 784], [16], [10, 16], [10]]
    assert not app.self_check(corrupt="layers.0.W")["passed"]
    # The check worked on a copy: the network predicts as before.
    assert modelfile.from_bytes_model(app.export_model())[0].sizes == [784, 16, 10]
