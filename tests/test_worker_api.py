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
