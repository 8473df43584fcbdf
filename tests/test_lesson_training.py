"""The lesson networks trained for many steps in the page: the CLI's numbers, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import Network, modelfile
from pycore.cli import main
from pycore.lessons import NEW_PEOPLE, run_weight_height, weight_height_data, weight_height_network
from pycore.optim import SGD
from pycore.worker_api import App, call


@pytest.fixture(scope="module")
def app() -> App:
    """No digits at all: the lessons that train need none."""
    net = Network.build([784, 8, 10], ["relu", "softmax"], rng=np.random.default_rng(0))
    return App(None, modelfile.to_bytes_model(net))


@pytest.fixture(scope="module")
def cli_run() -> dict:
    return run_weight_height()  # what `python -m pycore lesson weight-height` runs and prints


def test_weight_height_in_the_page_equals_the_cli_exactly(app, cli_run):
    result = app.train_lesson("weight-height")
    assert result["done"] and result["epoch"] == 1000
    assert result["settings"] == {"epochs": 1000, "lr": 0.1, "seed": 0, "every": 1}
    assert result["epochs"].dtype == np.int32 and result["losses"].dtype == np.float64
    assert result["epochs"].tolist() == list(range(1, 1001))
    assert result["losses"].tolist() == cli_run["losses"]
    predictions = {p["name"]: p["output"] for p in result["predictions"]}
    assert predictions == cli_run["predictions"]
    assert [p["input"] for p in result["predictions"]] == list(NEW_PEOPLE.values())
    typed = app.lesson_predict("weight-height", [-7, -3, 20, 2])
    assert typed["outputs"].tolist() == [
        cli_run["predictions"]["Emily"],
        cli_run["predictions"]["Frank"],
    ]
    assert typed["labels"] == ["F", "M"]


def test_the_cli_prints_the_page_numbers(app, capsys):
    result = app.train_lesson("weight-height")
    assert main(["lesson", "weight-height"]) == 0
    printed = capsys.readouterr().out.splitlines()
    losses = dict(zip(result["epochs"].tolist(), result["losses"].tolist(), strict=True))
    for e in (1, 10, 100, 500, 1000):
        assert f"epoch {e:4d} loss {losses[e]:.4f}" in printed
    for p in result["predictions"]:
        assert f"{p['name']}: {p['output']:.3f} ({'F' if p['output'] > 0.5 else 'M'})" in printed


def test_reported_epochs_and_slices_do_not_change_the_numbers(app, cli_run):
    every = app.train_lesson("weight-height", every=100)
    assert every["epochs"].tolist() == [1, *range(100, 1001, 100)]
    assert every["losses"].tolist() == [cli_run["losses"][e - 1] for e in every["epochs"]]
    first = app.train_lesson("weight-height", every=10, max_seconds=0)
    assert first["epochs"].tolist() == [1] and not first["done"] and first["predictions"] is None
    epochs, losses = list(first["epochs"]), list(first["losses"])
    while True:
        more = app.continue_lesson("weight-height", max_seconds=0.01)
        epochs += more["epochs"].tolist()
        losses += more["losses"].tolist()
        if more["done"]:
            break
    assert epochs == [1, *range(10, 1001, 10)]
    assert losses == [cli_run["losses"][e - 1] for e in epochs]
    assert {p["name"]: p["output"] for p in more["predictions"]} == cli_run["predictions"]


def test_step_through_at_epoch_k_sample_n_replays_the_training(app):
    app.train_lesson("weight-height", epochs=20)
    x, y = weight_height_data()
    net, optimizer = weight_height_network(), SGD(0.1)
    for step in range(5 * len(x) + 2):  # five full epochs, then Alice and Bob of epoch 6
        i = step % len(x)
        net.train_step(x[i : i + 1], y[i : i + 1], optimizer)
    before = app.lesson_predict("weight-height", [0, 0])["outputs"].tolist()
    trace = app.trace_lesson("weight-height", sample=2, epoch=6)
    assert trace["epoch"] == 6 and trace["sample"].startswith("Charlie")
    assert trace["tensors"]["forward.0.W"]["data"].tolist() == net.layers[0].W.reshape(-1).tolist()
    assert trace["loss"] == net.evaluate_loss(x[2:3], y[2:3])
    assert trace["lr"] == 0.1
    assert app.lesson_predict("weight-height", [0, 0])["outputs"].tolist() == before
    first = app.trace_lesson("weight-height", sample=0, epoch=1)
    fresh = weight_height_network()
    assert (
        first["tensors"]["forward.0.W"]["data"].tolist() == fresh.layers[0].W.reshape(-1).tolist()
    )
    beyond = call(app, "trace_lesson", {"name": "weight-height", "epoch": 21})
    assert beyond == {"ok": False, "error": "The epoch must be between 1 and 20, not 21"}


def test_the_neuron_learns_in_one_step_and_keeps_the_texts_output(app):
    trace = app.trace_lesson("neuron")
    assert trace["tensors"]["forward.0.a"]["data"][0] == 0.9990889488055994
    assert trace["tensors"]["y"]["data"].tolist() == [0.0]
    assert trace["loss_name"] == "mse" and trace["loss_label"] == "mean squared error"
    assert trace["lr"] == 1.0 and "trained" in trace["note"]
    # At four significant figures the loss, both weights and the bias all change.
    assert f"{trace['loss']:.4g}" != f"{trace['loss_after']:.4g}"
    W, b = trace["tensors"]["update.0.W"]["data"], trace["tensors"]["update.0.b"]["data"]
    assert [f"{v:.4g}" for v in W] != ["0", "1"] and f"{b[0]:.4g}" != "4"
    trained = app.train_lesson("neuron")
    assert trained["losses"][-1] < 0.001 < 0.99 < trained["losses"][0]


def test_the_two_layer_network_learns_its_four_points(app):
    result = app.train_lesson("network")
    assert result["losses"][-1] < result["losses"][0] / 10
    outputs = app.lesson_predict("network", [2, 3, 3, -1, -1, -2, -2, 1])["outputs"]
    assert (outputs > 0.5).tolist() == [True, True, False, False]
    seeded = app.train_lesson("network", seed=1, epochs=5)
    assert seeded["settings"]["seed"] == 1 and seeded["losses"].size == 5


def test_every_trace_names_its_loss_in_words(app):
    for name in ("neuron", "network", "mse", "weight-height"):
        trace = app.trace_lesson(name)
        assert trace["loss_label"] == "mean squared error", name


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "mse"}, "does not train for many steps"),
        ({"name": "weight-height", "epochs": 0}, "positive"),
        ({"name": "weight-height", "lr": "fast"}, "must be a number"),
        ({"name": "weight-height", "every": 2.5}, "positive"),
    ],
)
def test_bad_lesson_training_requests_say_why(app, kwargs, error):
    outcome = call(app, "train_lesson", kwargs)
    assert outcome["ok"] is False and error in outcome["error"]


def test_predicting_before_training_says_what_to_do():
    net = Network.build([784, 8, 10], ["relu", "softmax"], rng=np.random.default_rng(0))
    fresh = App(None, modelfile.to_bytes_model(net))
    outcome = call(fresh, "lesson_predict", {"name": "weight-height", "inputs": [1, 2]})
    assert outcome == {"ok": False, "error": "Train the lesson 'weight-height' first"}
