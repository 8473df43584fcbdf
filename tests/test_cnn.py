"""Convolutional networks through Network: gradients, model files, settings, augmentation, the
einsum split, the first-CNN lesson and its step-through."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from pycore import ModelFileError, Network, kernels, lesson_cnn, modelfile
from pycore.augment import distort, pen_width
from pycore.conv import Conv2D, Flatten, MaxPool2D
from pycore.data import default_path
from pycore.gradcheck import check_network
from pycore.layers import Dense
from pycore.lessons import LESSONS
from pycore.npzfile import to_bytes
from pycore.optim import SGD
from pycore.settings import RECIPE_TITLES, RECIPES, Settings, SettingsError
from pycore.worker_api import App


def small_cnn(rng, activation="tanh", output="softmax", loss="cross_entropy", dtype=np.float64):
    """1x8x8 -> conv 3@3x3 -> pool -> conv 4@2x2 same -> flatten -> 5 -> 3 outputs."""
    layers = [
        Conv2D(1, 3, 3, "valid", activation, rng=rng, init="xavier", dtype=dtype),
        MaxPool2D(2),
        Conv2D(3, 4, 2, "same", activation, rng=rng, init="xavier", dtype=dtype),
        Flatten(),
        Dense(36, 5, activation, rng=rng, init="xavier", dtype=dtype),
        Dense(5, 3, output, rng=rng, init="xavier", dtype=dtype),
    ]
    for layer in layers:
        if layer.params:
            layer.b[:] = rng.normal(0, 0.3, layer.b.shape)
    return Network(layers, loss, (1, 8, 8))


@pytest.mark.parametrize(
    ("output", "loss"), [("softmax", "cross_entropy"), ("softmax", "mse"), ("sigmoid", "mse")]
)
def test_whole_cnn_gradients_match_finite_differences_with_each_loss(output, loss, rng):
    net = small_cnn(rng, output=output, loss=loss)
    x = rng.normal(0, 1, (4, 64))  # rows of pixels, as every caller sends them
    y = rng.integers(0, 3, 4) if loss == "cross_entropy" else rng.normal(0, 1, (4, 3))
    report = check_network(net, x, y)
    assert set(report) == {f"layers.{i}.{p}" for i in (0, 2, 4, 5) for p in "Wb"}
    worst = max(report.values(), key=lambda r: r["error"])
    assert worst["error"] < 1e-6, report


def test_a_relu_cnn_gradients_match_too(rng):
    net = small_cnn(rng, activation="relu")
    x = rng.normal(0, 1, (3, 1, 8, 8))
    report = check_network(net, x, rng.integers(0, 3, 3))
    assert max(r["error"] for r in report.values()) < 1e-6, report


def test_cnn_repr_describe_and_shapes(rng):
    net = lesson_cnn.network()
    assert repr(net) == (
        "Network(1x28x28 -> conv 8@3x3 identity -> maxpool 2 -> flatten 1352 -> 10 softmax, "
        "loss=cross_entropy, float32)"
    )
    assert net.shapes == [(1, 28, 28), (8, 26, 26), (8, 13, 13), (1352,), (10,)]
    assert net.sizes == [784, 5408, 1352, 1352, 10] and not net.is_mlp
    assert [d["kind"] for d in net.describe()] == ["conv2d", "maxpool2d", "flatten", "dense"]
    assert net.activations == ["identity", None, None, "softmax"]
    mlp = Network.build([784, 10, 10], ["relu", "softmax"], rng=rng)
    assert mlp.is_mlp and mlp.layers_text() == "784 -> 10 relu -> 10 softmax"
    assert mlp.describe()[0] == {"kind": "dense", "n_in": 784, "n_out": 10, "activation": "relu"}


def test_layers_that_do_not_fit_are_refused(rng):
    with pytest.raises(ValueError, match="layer 3"):
        Network([Conv2D(1, 2, 3, rng=rng), MaxPool2D(2), Flatten(), Dense(100, 10, "softmax")],
                "cross_entropy", (1, 28, 28))  # fmt: skip
    with pytest.raises(ValueError, match="input_shape"):
        Network([Conv2D(1, 2, 3, rng=rng), Flatten(), Dense(1352, 10, "softmax")], "mse")
    with pytest.raises(ValueError, match="last layer"):
        Network([Conv2D(1, 2, 3, rng=rng)], "mse", (1, 5, 5))


def test_cnn_copy_forward_and_predict_agree_and_keep_the_original(rng):
    net = lesson_cnn.network()
    x = rng.random((5, 784)).astype(np.float32)
    clone = net.copy()
    np.testing.assert_array_equal(clone.predict_proba(x), net.predict_proba(x))
    np.testing.assert_allclose(net.forward(x), net.predict_proba(x), rtol=1e-6)
    clone.train_step(x, np.arange(5), SGD(0.1))
    assert not np.array_equal(clone.layers[0].W, net.layers[0].W)


# --- model files ------------------------------------------------------------------------------
def _arrays(data: bytes) -> tuple[dict, dict]:
    import io

    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    return arrays, json.loads(arrays["__meta__"].tobytes())


def _rewrite(data: bytes, change) -> bytes:
    arrays, meta = _arrays(data)
    change(arrays, meta)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return to_bytes(arrays)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cnn_model_file_round_trip_is_exact(dtype, tmp_path):
    net = Settings.from_dict({**RECIPES["cnn"], "dtype": np.dtype(dtype).name}).build()
    path = tmp_path / "cnn.npz"
    modelfile.save(net, path, {"conv": [16, 32]}, {"test_accuracy": 0.9})
    loaded, meta = modelfile.load(path, expect=modelfile.DIGITS)
    assert repr(loaded) == repr(net) and loaded.input_shape == (1, 28, 28)
    for name, p in net.parameters().items():
        assert loaded.parameters()[name].tobytes() == p.tobytes()
    assert meta["version"] == 2 and meta["layers"] == net.describe()
    assert modelfile.to_bytes_model(loaded, meta["training"], meta["metrics"]) == path.read_bytes()
    x = np.random.default_rng(0).random((3, 784)).astype(dtype)
    np.testing.assert_array_equal(loaded.predict_proba(x), net.predict_proba(x))


def _layer(i, key, value):
    def change(arrays, meta):
        meta["layers"][i][key] = value

    return change


def _meta(key, value):
    def change(arrays, meta):
        meta[key] = value

    return change


def _array(name, value):
    def change(arrays, meta):
        arrays[name] = value(arrays[name])

    return change


def _nan(a):
    a = a.copy()
    a.flat[5] = np.nan
    return a


BAD_CNN_FILES = {
    "unknown padding": (_layer(0, "padding", "reflect"), "padding"),
    "softmax in a convolution": (_layer(0, "activation", "softmax"), "softmax"),
    "kernel too large": (_layer(0, "k", 99), "k = 99"),
    "kernel zero": (_layer(0, "k", 0), "k must be"),
    "channels that do not match": (_layer(0, "c_in", 3), "channels"),
    "pool window as text": (_layer(1, "size", "2"), "size"),
    "flatten with a field": (_layer(2, "size", 2), "extra"),
    "pool larger than the maps": (_layer(1, "size", 30), "at least"),
    "wrong input shape": (_meta("input_shape", [1, 30, 30]), "does not fit"),
    "huge input shape": (_meta("input_shape", [8192, 8192, 8192]), "input shape"),
    "feature maps too large": (_layer(0, "c_out", 8000), "values per sample|too large|shape"),
    "NaN in a filter": (_array("layers.0.W", _nan), "NaN"),
    "filters of the wrong shape": (_array("layers.0.W", lambda a: a[:, :, :2]), "shape"),
}


@pytest.mark.parametrize("case", sorted(BAD_CNN_FILES))
def test_bad_cnn_files_are_refused_with_a_model_file_error(case):
    change, message = BAD_CNN_FILES[case]
    good = modelfile.to_bytes_model(lesson_cnn.network())
    with pytest.raises(ModelFileError, match=message) as info:
        modelfile.from_bytes_model(_rewrite(good, change))
    assert len(str(info.value)) <= 300


def test_an_extra_array_for_a_pool_layer_is_refused():
    def add(arrays, meta):
        arrays["layers.1.W"] = np.zeros((1,), np.float32)

    with pytest.raises(ModelFileError, match="unexpected"):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(lesson_cnn.network()), add))


def test_digit_models_must_read_784_pixels_or_one_28x28_image(rng):
    cnn = modelfile.to_bytes_model(lesson_cnn.network())
    assert modelfile.from_bytes_model(cnn, expect=modelfile.DIGITS)[0].input_shape == (1, 28, 28)
    odd = Network(
        [Conv2D(2, 2, 3, rng=rng), Flatten(), Dense(2 * 12 * 26, 10, "softmax", rng=rng)],
        "cross_entropy",
        (2, 14, 28),
    )
    data = modelfile.to_bytes_model(odd)
    assert modelfile.from_bytes_model(data)[0].input_shape == (2, 14, 28)
    with pytest.raises(ModelFileError, match="1x28x28"):
        modelfile.from_bytes_model(data, expect=modelfile.DIGITS)


# --- settings -----------------------------------------------------------------------------------
def test_settings_build_a_cnn_when_conv_is_given():
    s = Settings.from_dict({"conv": "8, 16", "kernel": 5, "hidden": "64", "epochs": 1})
    net = s.build()
    assert net.layers_text() == (
        "1x28x28 -> conv 8@5x5 relu -> maxpool 2 -> conv 16@5x5 relu -> maxpool 2 -> "
        "flatten 256 -> 64 relu -> 10 softmax"
    )
    assert s.parameter_count() == sum(p.size for p in net.parameters().values())
    s.check_size()
    lesson = Settings.from_dict(RECIPES["cnn-lesson"]).build()
    assert lesson.layers_text() == lesson_cnn.network().layers_text()
    assert RECIPE_TITLES["cnn-lesson"] == "A first CNN: conv 8@3×3, max-pool, softmax"
    assert Settings().build().is_mlp


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"conv": [8, 8, 8, 8]}, "conv"),
        ({"conv": [8], "kernel": 9}, "kernel"),
        ({"conv": [8], "kernel": 2}, "kernel"),
        ({"conv": [0]}, "conv"),
        ({"conv": [8], "activation": "softmax"}, "activation"),
        ({"shear": 0.7}, "shear"),
        ({"thickness": -0.1}, "thickness"),
    ],
)
def test_bad_cnn_settings_name_their_field(values, field):
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(values)
    assert info.value.field == field


def test_a_cnn_too_large_for_a_model_file_is_refused_before_training():
    s = Settings.from_dict({"conv": [256, 256], "kernel": 3, "hidden": [4096, 4096, 4096]})
    with pytest.raises(ModelFileError, match="too large"):
        s.check_size()


# --- augmentation -------------------------------------------------------------------------------
def _stroke() -> np.ndarray:
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 6:22, 13:15] = 1.0  # a vertical bar two pixels wide
    return image.reshape(1, 784)


def test_shear_slants_a_vertical_stroke():
    rng = np.random.default_rng(0)
    out = distort(_stroke(), rng, rotation=0, shift=0, scale=0, shear=0.5).reshape(28, 28)
    cols = [np.average(np.arange(28), weights=row) for row in out[7:21] if row.sum() > 0.5]
    slope = np.polyfit(np.arange(len(cols)), cols, 1)[0]
    assert 0.02 < abs(slope) <= 0.5 + 1e-6
    assert out.sum() == pytest.approx(_stroke().sum(), rel=0.1)


def test_pen_width_thickens_or_thins_only_the_chosen_share():
    images = np.repeat(_stroke().reshape(1, 28, 28), 400, axis=0)
    out = pen_width(images, np.random.default_rng(1), 0.5)
    ink = out.reshape(400, -1).sum(axis=1)
    before = images[0].sum()
    assert np.all(out >= 0) and np.all(out <= 1)
    changed = ~np.isclose(ink, before)
    assert 0.4 < changed.mean() < 0.6
    assert np.any(ink > before * 1.3) and np.any(ink < before * 0.8)
    np.testing.assert_array_equal(pen_width(images, np.random.default_rng(1), 0.0), images)


def test_new_augmentation_off_leaves_the_random_stream_of_earlier_runs():
    x = np.random.default_rng(3).random((4, 784)).astype(np.float32)
    a = distort(x, np.random.default_rng(5), elastic=2.0)
    b = distort(x, np.random.default_rng(5), elastic=2.0, shear=0.0, thickness=0.0)
    np.testing.assert_array_equal(a, b)


# --- the einsum kernel --------------------------------------------------------------------------
def test_einsum_matmul_splits_products_larger_than_the_iterator_limit(monkeypatch, rng):
    a = rng.normal(size=(37, 6)).astype(np.float32)
    b = rng.normal(size=(6, 5)).astype(np.float32)
    calls = []
    einsum = np.einsum
    monkeypatch.setattr(kernels, "EINSUM_LIMIT", 200)  # 6*5 = 30 per row: 6 rows a piece
    monkeypatch.setattr(
        kernels.np, "einsum", lambda spec, x, y: calls.append(x.shape[0]) or einsum(spec, x, y)
    )
    out = kernels._einsum_matmul(a, b)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-6)
    assert max(calls) * 6 * 5 < 200 and sum(calls) == 37 and len(calls) == 7


# --- the lesson, and the step-through ---------------------------------------------------------
def test_the_first_cnn_lesson_is_registered_and_traceable():
    lesson = LESSONS["cnn"]
    d = lesson.describe()
    assert d["traceable"] and d["sample_kind"] == "digit" and d["loss"] == "cross_entropy"
    assert lesson.uses_digits


def test_the_first_cnn_lesson_learns_the_held_out_digits(subset):
    start = time.process_time()
    result = lesson_cnn.run(subset=subset)
    assert result["test_accuracy"] == pytest.approx(0.8725, abs=0.01)
    assert result["losses"][-1] < result["losses"][0]
    assert result["lines"][-1].startswith("test accuracy (2,000 held-out digits): 0.8")
    assert time.process_time() - start < 30


@pytest.fixture(scope="module")
def app() -> App:
    net = Settings.from_dict({**RECIPES["cnn"], "epochs": 1}).build()
    return App(default_path().read_bytes(), modelfile.to_bytes_model(net))


def test_the_cnn_trace_numbers_equal_a_direct_recomputation(app, subset):
    trace = app.trace_lesson("cnn", sample=4, lr=0.005)
    t = {k: v["data"].reshape(v["shape"]) for k, v in trace["tensors"].items()}
    net = lesson_cnn.network()
    x = subset.test.pixels[4:5].astype(np.float32) / np.float32(255)
    conv, pool = net.layers[0], net.layers[1]
    z, a = conv.apply(x.reshape(1, 1, 28, 28))
    np.testing.assert_array_equal(t["forward.0.z"], z)
    np.testing.assert_array_equal(t["forward.1.a"], pool.apply(a))
    winners = t["forward.1.winners"].astype(bool)
    assert winners.sum() == 8 * 13 * 13
    assert np.all(winners.reshape(1, 8, 13, 2, 13, 2).sum(axis=(3, 5)) == 1)
    np.testing.assert_array_equal(pool.apply(np.where(winners, a, -np.inf)), t["forward.1.a"])
    # The update is one SGD step on the filters: after = before - lr * dK.
    np.testing.assert_allclose(
        t["update.0.W"], t["forward.0.W"] - np.float32(0.005) * t["backward.0.dW"], rtol=1e-6
    )
    np.testing.assert_allclose(t["update.0.dW_step"], t["update.0.W"] - t["forward.0.W"])
    # dL/dx of the image equals a direct backward pass through the same network.
    check = lesson_cnn.network()
    y = check.targets(np.array([trace["label"]]))
    check.forward(x)
    dx = check.backward(y, need_dx=True)
    np.testing.assert_allclose(t["backward.0.dx"], dx, rtol=1e-5, atol=1e-9)
    assert t["backward.0.dx"].shape == (1, 1, 28, 28)
    # Every step names tensors that exist, and the equations carry the chosen numbers.
    for step in trace["steps"]:
        for name in step["tensors"]:
            assert name in trace["tensors"], (step["title"], name)
    conv_step = next(s for s in trace["steps"] if s["kind"] == "conv")
    c, i, j = (conv_step["position"][k] for k in "cij")
    assert (c, i, j) == np.unravel_index(np.argmax(a[0]), a[0].shape)
    assert conv_step["equation"].endswith(f"= {float(z[0, c, i, j]):.4g}")
    assert "rows = matmul(" in " ".join(
        conv_step["source"]["lines"][n - conv_step["source"]["start"]]
        for n in conv_step["source"]["highlight"]
    )
    kinds = [s["kind"] for s in trace["steps"]]
    assert kinds == [
        "input", "conv", "conv_a", "pool", "flatten", "z", "a", "loss",
        "da_loss", "dz", "dW", "da", "unflatten", "unpool", "conv_dz", "conv_dK", "conv_dx",
        "conv_update", "update", "after",
    ]  # fmt: skip
    assert trace["layers"][0]["kind"] == "conv2d" and trace["input_shape"] == [1, 28, 28]


def test_the_learner_can_pick_the_position_and_a_bad_one_is_refused(app):
    trace = app.trace_lesson("cnn", sample=0, position=[2, 5, 7])
    conv_step = next(s for s in trace["steps"] if s["kind"] == "conv")
    pool_step = next(s for s in trace["steps"] if s["kind"] == "pool")
    assert conv_step["position"] == {"layer": 0, "c": 2, "i": 5, "j": 7}
    assert pool_step["position"] == {"layer": 1, "c": 2, "i": 2, "j": 3}
    z = trace["tensors"]["forward.0.z"]["data"].reshape(8, 26, 26)
    assert conv_step["equation"].startswith("z[2,5,7]")
    assert conv_step["equation"].endswith(f"= {float(z[2, 5, 7]):.4g}")
    with pytest.raises(ValueError, match="outside"):
        app.trace_lesson("cnn", sample=0, position=[8, 0, 0])


def test_mlp_traces_are_unchanged_by_the_cnn_steps(subset):
    net = Network.build([784, 20, 10], ["relu", "softmax"], rng=np.random.default_rng(3))
    app = App(default_path().read_bytes(), modelfile.to_bytes_model(net))
    trace = app.trace_digit(0)
    assert not any("position" in s for s in trace["steps"])
    assert "backward.0.dx" not in trace["tensors"]
    assert [s["kind"] for s in trace["steps"]][:4] == ["z", "a", "z", "a"]


def test_app_describes_a_cnn_and_shows_its_first_feature_maps(app):
    info = app.model_info()
    assert info["input_shape"] == [1, 28, 28]
    assert info["layers"][0] == {
        "kind": "conv2d", "c_in": 1, "c_out": 16, "k": 3, "padding": "valid",
        "activation": "relu", "output_shape": [16, 26, 26],
    }  # fmt: skip
    ink = np.zeros((100, 100), np.uint8)
    ink[20:80, 45:55] = 255
    result = app.predict(ink.ravel(), 100, 100)
    assert result["feature_shape"] == [16, 26, 26]
    assert result["feature_maps"].dtype == np.float32 and result["feature_maps"].size == 16 * 676
    maps = app.net.layer_outputs(result["image"][None, :])[0]
    np.testing.assert_array_equal(result["feature_maps"], maps.ravel())
    empty = app.predict(np.zeros(100 * 100, np.uint8), 100, 100)
    assert empty["empty"] and empty["feature_shape"] == [16, 26, 26]
    filters = app.weights(0)
    assert filters["shape"] == [16, 1, 3, 3] and filters["data"].size == 144
    with pytest.raises(ValueError, match="no weights"):
        app.weights(1)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        app.predict(ink.ravel(), 100, 100)
        times.append(time.perf_counter() - start)
    assert sorted(times)[2] < 0.05
