"""Model files: exact round trips, and every kind of bad file refused with a clear message."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from pycore import ModelFileError, Network, modelfile
from pycore.npzfile import to_bytes


@pytest.fixture
def net(rng) -> Network:
    return Network.build([784, 16, 10], ["relu", "softmax"], "cross_entropy", rng=rng)


def _arrays(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {k: archive[k] for k in archive.files}


def _rewrite(data: bytes, change) -> bytes:
    arrays = _arrays(data)
    meta = json.loads(arrays["__meta__"].tobytes())
    change(arrays, meta)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return to_bytes(arrays)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_then_load_gives_identical_parameter_bytes(dtype, rng, tmp_path):
    net = Network.build([784, 16, 10], ["tanh", "softmax"], "cross_entropy", rng=rng, dtype=dtype)
    path = tmp_path / "m.npz"
    modelfile.save(net, path, {"lr": 0.1}, {"test_accuracy": 0.5})
    loaded, meta = modelfile.load(path)
    assert loaded.sizes == net.sizes and loaded.activations == net.activations
    for name, p in net.parameters().items():
        assert loaded.parameters()[name].tobytes() == p.tobytes()
        assert loaded.parameters()[name].dtype == dtype
    assert meta["training"] == {"lr": 0.1} and meta["metrics"] == {"test_accuracy": 0.5}
    assert meta["version"] == modelfile.FORMAT_VERSION
    assert modelfile.to_bytes_model(loaded, meta["training"], meta["metrics"]) == path.read_bytes()


def test_saving_twice_gives_the_same_bytes(net):
    assert modelfile.to_bytes_model(net) == modelfile.to_bytes_model(net)


def test_file_is_a_plain_npz_readable_without_pickle(net):
    arrays = _arrays(modelfile.to_bytes_model(net))
    assert set(arrays) == {"__meta__", "layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"}


BAD_FILES = {
    "empty": lambda good: b"",
    "truncated": lambda good: good[: len(good) // 2],
    "garbage": lambda good: b"PK\x03\x04" + bytes(range(256)) * 4,
    "not a zip": lambda good: b"hello, I am a text file",
    "raw pickle": lambda good: pickle.dumps({"W": np.zeros(3)}),
    "flipped bytes": lambda good: good[:200] + bytes(b ^ 0xFF for b in good[200:400]) + good[400:],
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_broken_files_are_refused_with_a_message(case, net):
    with pytest.raises(ModelFileError) as info:
        modelfile.from_bytes_model(BAD_FILES[case](modelfile.to_bytes_model(net)))
    assert len(str(info.value)) > 15


def test_an_object_array_inside_is_refused_as_a_pickle(net):
    good = modelfile.to_bytes_model(net)
    buffer = io.BytesIO(good)
    with zipfile.ZipFile(buffer, "a") as archive:
        payload = io.BytesIO()
        np.save(payload, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
        archive.writestr("extra.npy", payload.getvalue())
    with pytest.raises(ModelFileError, match="pickle"):
        modelfile.from_bytes_model(buffer.getvalue())


def _set(key, value):
    def change(arrays, meta):
        meta[key] = value

    return change


def _set_layer(i, key, value):
    def change(arrays, meta):
        meta["layers"][i][key] = value

    return change


def _dense(n_in, n_out, activation="relu"):
    return {"kind": "dense", "n_in": n_in, "n_out": n_out, "activation": activation}


def format_1_file(net: Network, training=None, metrics=None) -> bytes:
    """A model file as format 1 wrote it (before convolutions): the record names ``sizes`` and
    ``activations``; the arrays are the same ``layers.<i>.W`` and ``layers.<i>.b``."""
    meta = {
        "format": "pycore-model",
        "version": 1,
        "sizes": net.sizes,
        "activations": net.activations,
        "loss": net.loss.name,
        "dtype": str(net.dtype),
        "training": training or {},
        "metrics": metrics or {},
        "pycore": "0.1.0",
    }
    arrays = {"__meta__": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)}
    arrays.update(net.parameters())
    return to_bytes(arrays)


META_CASES = {
    "newer format": (_set("version", 99), "newer"),
    "unknown activation": (_set_layer(0, "activation", "swish"), "swish"),
    "unknown loss": (_set("loss", "hinge"), "hinge"),
    "bad sizes": (_set_layer(0, "n_out", -3), "n_out"),
    "huge network": (
        _set("layers", [_dense(784, 4000)] + [_dense(4000, 4000)] * 4 + [_dense(4000, 10)]),
        "too large",
    ),
    "layers that do not fit": (_set_layer(1, "n_in", 17), "does not fit"),
    "unknown kind": (_set_layer(0, "kind", "attention"), "attention"),
    "no layers": (_set("layers", []), "layers"),
    "not pycore": (_set("format", "keras"), "not a pycore model"),
}


@pytest.mark.parametrize("case", sorted(META_CASES))
def test_invalid_descriptions_are_refused(case, net):
    change, message = META_CASES[case]
    with pytest.raises(ModelFileError, match=message):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), change))


def test_a_format_1_file_still_loads_as_the_same_network(net):
    old = format_1_file(net, {"lr": 0.1}, {"test_accuracy": 0.5})
    loaded, meta = modelfile.from_bytes_model(old, expect=modelfile.DIGITS)
    assert repr(loaded) == repr(net) and loaded.input_shape == (784,)
    for name, p in net.parameters().items():
        assert loaded.parameters()[name].tobytes() == p.tobytes()
    assert meta["version"] == 1 and meta["training"] == {"lr": 0.1}
    # Saved again, it is written in today's format and loads back the same.
    again, meta2 = modelfile.from_bytes_model(modelfile.to_bytes_model(loaded))
    assert meta2["version"] == modelfile.FORMAT_VERSION == 2 and "layers" in meta2
    assert repr(again) == repr(net)


FORMAT_1_CASES = {
    "unknown activation": (_set("activations", ["relu", "swish"]), "swish"),
    "bad sizes": (_set("sizes", [784, -3, 10]), "sizes"),
    "huge network": (_set("sizes", [8000, 8000, 8000, 10]), "too large"),
    "sizes as strings": (_set("sizes", ["784", "16", "10"]), "sizes"),
    "booleans as sizes": (_set("sizes", [784, True, 10]), "sizes"),
    "65 layers": (_set("sizes", [784] + [4] * 64 + [10]), "layers"),
    "a number as an activation": (_set("activations", [1, "softmax"]), "activation"),
}


@pytest.mark.parametrize("case", sorted(FORMAT_1_CASES))
def test_format_1_records_are_still_checked(case, net):
    change, message = FORMAT_1_CASES[case]
    with pytest.raises(ModelFileError, match=message):
        modelfile.from_bytes_model(_rewrite(format_1_file(net), change))


def test_wrong_shape_is_refused(net):
    def change(arrays, meta):
        arrays["layers.0.W"] = np.zeros((16, 783), np.float32)

    with pytest.raises(ModelFileError, match="shape"):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), change))


def test_nan_weights_are_refused(net):
    def change(arrays, meta):
        arrays["layers.1.b"] = arrays["layers.1.b"].copy()
        arrays["layers.1.b"][3] = np.nan

    with pytest.raises(ModelFileError, match="NaN"):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), change))


def test_missing_and_extra_arrays_are_refused(net):
    def drop(arrays, meta):
        del arrays["layers.1.b"]

    def add(arrays, meta):
        arrays["layers.2.W"] = np.zeros((1, 1), np.float32)

    with pytest.raises(ModelFileError, match="lacks"):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), drop))
    with pytest.raises(ModelFileError, match="unexpected"):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), add))


def test_header_claiming_more_data_than_present_is_refused(net):
    """A hostile header must not make the loader allocate what it claims."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("layers.0.W.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(ModelFileError, match="truncated"):
        modelfile.from_bytes_model(buffer.getvalue())


def _with_record(net: Network, text: str) -> bytes:
    arrays = dict(net.parameters())
    arrays["__meta__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    return to_bytes(arrays)


HOSTILE_RECORDS = {
    "100,000 nested lists": ("[" * 100_000, "nested"),
    "deep inside a valid start": ('{"format": "pycore-model", "x": ' + "[" * 5000, "nested"),
    "5,000-digit integer": ('{"format": "pycore-model", "version": ' + "9" * 5000 + "}", "digits"),
    "unterminated string": ('{"format": "pycore-model", "x": "' + "\\\\" * 100, "corrupt"),
    "over a megabyte": ('{"format": "pycore-model", "x": "' + "a" * 2**20 + '"}', "MB"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_RECORDS))
def test_hostile_records_are_refused_before_the_json_parser_recurses(case, net):
    text, message = HOSTILE_RECORDS[case]
    with pytest.raises(ModelFileError, match=message) as info:
        modelfile.from_bytes_model(_with_record(net, text))
    assert len(str(info.value)) <= 300


WRONG_TYPES = {
    "a list as the loss": ("loss", ["cross_entropy"], "loss"),
    "a number as an activation": ("layers", [_dense(784, 16, 1)], "activation"),
    "sizes as strings": ("layers", [_dense("784", 16)], "n_in"),
    "booleans as sizes": ("layers", [_dense(784, True)], "n_out"),
    "a layer that is a string": ("layers", ["dense"], "object"),
    "layers as a table": ("layers", {"kind": "dense"}, "layers"),
    "an input shape of 2 axes": ("input_shape", [28, 28], "input shape"),
    "an input shape as text": ("input_shape", "784", "input shape"),
    "a list as the dtype": ("dtype", ["float32"], "dtype"),
    "a list as the training settings": ("training", [1, 2], "training"),
    "a string as the version": ("version", "1", "version"),
    "65 layers": ("layers", [_dense(4, 4)] * 65, "layers"),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_every_field_of_the_record_is_type_checked(case, net):
    key, value, message = WRONG_TYPES[case]
    with pytest.raises(ModelFileError, match=message):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), _set(key, value)))


def test_a_200000_layer_record_gives_a_short_message(net):
    data = _rewrite(modelfile.to_bytes_model(net), _set("layers", [_dense(7, 7)] * 200_000))
    with pytest.raises(ModelFileError) as info:
        modelfile.from_bytes_model(data)
    assert len(str(info.value)) <= 300


def test_a_model_that_does_not_fit_digits_is_refused_only_when_digits_are_expected(rng):
    other = Network.build([784, 16, 13], ["relu", "softmax"], "cross_entropy", rng=rng)
    data = modelfile.to_bytes_model(other)
    assert modelfile.from_bytes_model(data)[0].sizes == [784, 16, 13]
    with pytest.raises(ModelFileError, match="gives 13 outputs"):
        modelfile.from_bytes_model(data, expect=modelfile.DIGITS)
    with pytest.raises(ModelFileError, match="takes 100 inputs"):
        modelfile.check_fits([100, 10])


def test_weights_that_overflow_on_ordinary_inputs_are_refused(net):
    def huge(arrays, meta):
        arrays["layers.0.W"] = np.full_like(arrays["layers.0.W"], 1e37)

    with pytest.raises(ModelFileError, match="overflow"):
        modelfile.from_bytes_model(_rewrite(modelfile.to_bytes_model(net), huge))


def test_every_network_the_cli_accepts_can_be_saved_or_is_refused_before_training():
    """The size check is what the CLI calls before training: what passes it loads back."""
    modelfile.check_size([784, 4096, 4096, 4096, 10], "float32")  # 147 MB: loads
    with pytest.raises(ModelFileError, match="too large"):
        modelfile.check_size([784, 4096, 4096, 4096, 4096, 10], "float32")
    with pytest.raises(ModelFileError, match="too large"):
        modelfile.check_size([784, 4096, 4096, 4096, 10], "float64")
    widest = [784, *[4096] * 8, 10]
    with pytest.raises(ModelFileError):
        modelfile.check_size(widest, "float32")


def test_a_failed_save_keeps_the_file_that_was_there(net, tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    modelfile.save(net, path)
    before = path.read_bytes()

    def full_disk(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(path), "write_bytes", full_disk)
    with pytest.raises(OSError):
        modelfile.save(net, path, {"lr": 1})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


@pytest.mark.parametrize("kind", ["directory", "fifo", "device", "missing"])
def test_load_reads_regular_files_only(kind, tmp_path):
    import os

    path = {"directory": tmp_path, "device": "/dev/zero", "missing": tmp_path / "nope.npz"}.get(
        kind, tmp_path / "fifo"
    )
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(ModelFileError):
        modelfile.load(path)
