"""The worker facade returns plain data, flat arrays, and refuses bad input without harm."""

from __future__ import annotations

import numpy as np
import pytest

from pycore import ModelFileError, Network, modelfile
from pycore.data import default_path
from pycore.train import SettingsError
from pycore.worker_api import App


@pytest.fixture
def app(subset) -> App:
    net = Network.build(
        [784, 24, 10], ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(0)
    )
    return App(default_path().read_bytes(), modelfile.to_bytes_model(net))


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return (
            value.ndim == 1
            and value.flags.c_contiguous
            and value.dtype in (np.float32, np.uint8, np.int32)
        )
    return value is None or isinstance(value, (bool, int, float, str, bytes))


def test_every_result_is_plain_data_with_flat_arrays(app):
    drawing = np.zeros((200, 200), np.uint8)
    drawing[40:160, 90:110] = 255
    app.start_training({"hidden": "16", "epochs": 1})
    results = [
        app.info(),
        app.predict(drawing.tobytes(), 200, 200),
        app.test_digit(3),
        app.train_slice(max_batches=3),
        app.evaluate(),
        app.weights(0),
    ]
    for result in results:
        assert _plain(result), result


def test_predict_a_drawing_and_an_empty_canvas(app):
    drawing = np.zeros((280, 140), np.uint8)
    drawing[30:250, 60:80] = 255
    result = app.predict(memoryview(drawing.tobytes()), 140, 280)
    assert not result["empty"] and 0 <= result["digit"] <= 9
    assert result["probs"].shape == (10,) and result["probs"].sum() == pytest.approx(1, abs=1e-5)
    assert result["image"].shape == (784,)
    empty = app.predict(bytes(280 * 140), 140, 280)
    assert empty["empty"] and empty["digit"] == -1
    with pytest.raises(ValueError):
        app.predict(bytes(10), 140, 280)


def test_a_bad_model_file_is_refused_and_the_current_model_kept(app):
    before = app.net
    with pytest.raises(ModelFileError):
        app.load_model(b"PK\x03\x04 nope")
    assert app.net is before


def test_export_then_load_round_trips_the_current_model(app):
    app.start_training({"hidden": "12", "epochs": 1})
    app.train_slice(max_batches=5)
    exported = app.export_model()
    trained = {k: v.copy() for k, v in app.net.parameters().items()}
    app.reset_model()
    assert app.net.sizes == [784, 24, 10]
    info = app.load_model(exported)
    assert info["sizes"] == [784, 12, 10] and info["training"]["hidden"] == [12]
    for name, p in app.net.parameters().items():
        assert p.tobytes() == trained[name].tobytes()


def test_invalid_training_settings_name_the_field_and_keep_the_model(app):
    before = app.net
    with pytest.raises(SettingsError) as info:
        app.start_training({"lr": "lots"})
    assert info.value.field == "lr" and app.net is before


def test_test_digits_wrap_around_and_carry_labels(app, subset):
    digit = app.test_digit(2000 + 7)
    assert digit["index"] == 7 and digit["label"] == int(subset.test.labels[7])
    np.testing.assert_array_equal(digit["image"], subset.test.images()[7])


def _model(sizes=(784, 24, 10), metrics=None) -> bytes:
    acts = ["relu"] * (len(sizes) - 2) + ["softmax"]
    net = Network.build(list(sizes), acts, "cross_entropy", rng=np.random.default_rng(0))
    return modelfile.to_bytes_model(net, {}, metrics or {})


def test_a_drawing_is_answered_before_the_digits_arrive(subset):
    from pycore.worker_api import LOADING, call, make_app

    app = make_app(None, _model(metrics={"test_accuracy": 0.99}))
    drawing = np.zeros((100, 100), np.uint8)
    drawing[20:80, 45:55] = 255
    assert 0 <= app.predict(drawing.tobytes(), 100, 100)["digit"] <= 9
    assert app.classify(np.zeros(784, np.float32))["probs"].shape == (10,)
    info = app.info()
    assert info["data"] is None
    assert info["model"]["test_accuracy"] is None and info["model"]["claimed_accuracy"] == 0.99
    assert app.load_model(_model((784, 12, 10)))["sizes"] == [784, 12, 10]
    for method, kwargs in [
        ("test_digit", {"index": 0}),
        ("evaluate", {}),
        ("start_training", {"settings": {"epochs": 1}}),
        ("self_check", {}),
        ("trace_digit", {"index": 0}),
        ("trace_lesson", {"name": "mnist-784-10-10"}),
        ("run_lesson", {"name": "mnist-784-10-10"}),
        ("start_finetune", {"pixels": bytes(784), "labels": bytes(1)}),
    ]:
        assert call(app, method, kwargs) == {"ok": False, "error": LOADING}, method
    assert LOADING == "The digits are still loading; try again in a moment."
    attached = app.attach_data(default_path().read_bytes())
    assert (attached["train"], attached["test"]) == (len(subset.train), len(subset.test))
    measured = float(np.mean(app.net.predict(subset.test.images()) == subset.test.labels))
    assert attached["model"]["test_accuracy"] == pytest.approx(measured)
    assert app.test_digit(1)["index"] == 1


def test_the_page_measures_the_network_a_slice_at_a_time_with_the_same_result(subset):
    from pycore.worker_api import call, make_app

    app = make_app(None, _model(metrics={"test_accuracy": 0.99}))
    attached = app.attach_data(default_path().read_bytes(), measure=False)
    assert attached["model"]["test_accuracy"] is None  # not measured yet, the claim not taken
    slices = []
    while not (step := call(app, "measure_slice", {"max_seconds": 0, "chunk": 300})["result"])[
        "done"
    ]:
        slices.append(step["measured"])
        assert 0 <= app.predict(np.full(400, 255, np.uint8).tobytes(), 20, 20)["digit"] <= 9
    assert slices == list(range(300, len(subset.test), 300))  # one chunk per slice
    measured = float(np.mean(app.net.predict(subset.test.images()) == subset.test.labels))
    assert step["model"]["test_accuracy"] == measured
    assert app.model_info()["test_accuracy"] == measured
    # A network replaced while measuring ends it: loading measured the new one at once.
    app.attach_data(default_path().read_bytes(), measure=False)
    app.measure_slice(max_seconds=0, chunk=10)
    loaded = app.load_model(_model((784, 12, 10)))
    done = app.measure_slice()
    assert done["done"] and done["model"]["test_accuracy"] == loaded["test_accuracy"]


def test_a_loaded_models_accuracy_is_measured_not_claimed(app, subset):
    info = app.load_model(_model(metrics={"test_accuracy": 0.818}))
    measured = float(np.mean(app.net.predict(subset.test.images()) == subset.test.labels))
    assert info["test_accuracy"] == pytest.approx(measured) and measured < 0.5
    assert info["claimed_accuracy"] == 0.818
    assert modelfile.from_bytes_model(app.export_model())[1]["metrics"]["test_accuracy"] == (
        pytest.approx(measured)
    )


@pytest.mark.parametrize("sizes", [(784, 8, 13), (100, 8, 10)])
def test_a_model_that_does_not_read_digits_is_refused_and_the_current_one_kept(app, sizes):
    before = app.net
    with pytest.raises(ModelFileError, match="digit model"):
        app.load_model(_model(sizes))
    assert app.net is before


def test_model_info_says_whether_the_network_is_usable_for_saving(app):
    assert app.model_info()["steps_trained"] is None and app.model_info()["finite"] is True
    app.start_training({"hidden": "8", "epochs": 1})
    assert app.model_info()["steps_trained"] == 0, "a run that has not finished a step"
    app.train_slice(max_batches=3)
    assert app.model_info()["steps_trained"] == 3
    app.net.layers[0].W[0, 0] = np.nan
    assert app.model_info()["finite"] is False


def test_a_finished_run_reports_epochs_and_a_verdict(app):
    app.start_training({"hidden": "8", "epochs": 1, "batch_size": 500, "lr": 50})
    progress = app.train_slice(max_seconds=60)
    assert progress["done"] and [e["epoch"] for e in progress["epochs"]] == [1]
    assert progress["verdict"]["learned"] is False
    assert progress["verdict"]["suggestion"] == {"lr": 0.001}
    assert _plain(progress)


def test_a_cnn_in_use_can_be_fine_tuned_on_my_digits(subset):
    from pycore.settings import Settings

    settings = Settings.from_dict({"conv": [4], "hidden": [], "kernel": 3, "epochs": 1})
    app = App(default_path().read_bytes(), modelfile.to_bytes_model(settings.build()))
    pixels = np.repeat(subset.test.pixels[:30], 1, axis=0).reshape(-1)
    labels = subset.test.labels[:30]
    started = app.start_finetune(pixels, labels, epochs=1)
    assert started["settings"]["conv"] == [4] and started["settings"]["kernel"] == 3
    progress = app.train_slice(max_batches=2, max_seconds=None)
    assert np.all(np.isfinite(progress["losses"]))
