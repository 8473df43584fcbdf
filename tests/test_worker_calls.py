"""What the worker gets back from ``call``: results, errors for a person, and only allowed names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pycore import Network, modelfile
from pycore.data import default_path
from pycore.finetune import FINETUNE_DEFAULTS
from pycore.lessons import LESSONS, PEOPLE
from pycore.settings import RECIPES, TABLE
from pycore.worker_api import COMMANDS, MAX_MESSAGE, OUT_OF_MEMORY, App, call, make_app


class JsProxy:
    """Stands in for a Pyodide proxy of a JS object: the data comes out through ``to_py``."""

    def __init__(self, value):
        self.value = value

    def to_py(self):
        return self.value


@pytest.fixture(scope="module")
def app(subset) -> App:
    net = Network.build(
        [784, 16, 10], ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(0)
    )
    return make_app(JsProxy(default_path().read_bytes()), JsProxy(modelfile.to_bytes_model(net)))


def test_a_call_returns_the_methods_result(app):
    outcome = call(app, "test_digit", {"index": 3})
    assert outcome["ok"] is True and outcome["result"]["index"] == 3
    assert call(app, "model_info", None)["result"]["sizes"] == [784, 16, 10]
    assert call(app, "test_digit", JsProxy({"index": 5}))["result"]["index"] == 5


def test_a_name_off_the_list_is_refused_without_being_looked_up(app):
    for name in ("__init__", "_trace", "subset", "nope"):
        assert call(app, name, {}) == {
            "ok": False,
            "error": f'The worker has no command called "{name}".',
        }


def test_every_allowed_name_is_a_public_method():
    for name in COMMANDS:
        assert not name.startswith("_") and callable(getattr(App, name)), name


def test_a_settings_error_keeps_its_field_and_message(app):
    outcome = call(app, "start_training", {"settings": {"lr": "lots"}})
    assert outcome["ok"] is False and outcome["field"] == "lr"
    assert outcome["error"] == "Lr: must be a number, not 'lots'"
    assert outcome["message"] == "Must be a number, not 'lots'"


def test_other_errors_are_the_exceptions_text_capitalised(app):
    outcome = call(app, "run_lesson", {"name": "nope"})
    assert outcome == {"ok": False, "error": "There is no lesson called 'nope'"}
    outcome = call(app, "test_digit", {"index": 1, "colour": "red"})
    assert outcome["ok"] is False and "colour" in outcome["error"]
    assert "Traceback" not in outcome["error"]


def test_running_out_of_memory_says_what_to_try(app, monkeypatch):
    def huge(**kwargs):
        raise MemoryError

    monkeypatch.setattr(app, "evaluate", huge)
    assert call(app, "evaluate", {}) == {"ok": False, "error": OUT_OF_MEMORY}


def test_long_messages_are_cut(app, monkeypatch):
    def wordy(**kwargs):
        raise ValueError("x" * 5000)

    monkeypatch.setattr(app, "evaluate", wordy)
    error = call(app, "evaluate", {})["error"]
    assert len(error) <= MAX_MESSAGE and error.startswith("Xxx")


def test_an_exception_without_text_gives_its_type(app, monkeypatch):
    def silent(**kwargs):
        raise KeyError

    monkeypatch.setattr(app, "evaluate", silent)
    assert call(app, "evaluate", {}) == {"ok": False, "error": "KeyError"}


def test_info_carries_the_catalog_the_page_is_built_from(app):
    catalog = call(app, "info", {})["result"]["catalog"]
    assert json.loads(json.dumps(catalog)) == catalog
    assert set(catalog) == {"settings", "recipes", "lessons", "finetune", "names"}
    assert [s["name"] for s in catalog["settings"]] == [s.name for s in TABLE]
    assert (
        [r["name"] for r in catalog["recipes"]]
        == list(RECIPES)
        == ["small", "lesson", "mlp", "cnn-lesson", "cnn", "default"]
    )
    assert all(set(r) == {"name", "title", "settings"} for r in catalog["recipes"])
    assert catalog["finetune"] == FINETUNE_DEFAULTS == {
        "mnist_share": 0.5, "epochs": 5, "seed": 0, "holdout": 0.2, "lr": 0.0005, "batch_size": 16,
    }  # fmt: skip
    assert catalog["names"]["loss"]["mse"] == "mean squared error"
    lessons = {lesson["name"]: lesson for lesson in catalog["lessons"]}
    assert list(lessons) == list(LESSONS)
    keys = {"name", "title", "summary", "loss", "loss_label", "samples", "sample_kind"}
    for lesson in catalog["lessons"]:
        assert set(lesson) == keys | {"traceable"}
    assert (
        lessons["weight-height"]["samples"] == list(PEOPLE) == ["Alice", "Bob", "Charlie", "Diana"]
    )
    assert lessons["weight-height"]["sample_kind"] == "person"
    assert lessons["mnist-784-10-10"]["sample_kind"] == "digit"
    assert lessons["mnist-784-10-10"]["loss_label"] == "cross-entropy"
    assert lessons["mse"]["loss"] == "mse" and lessons["mse"]["samples"] == []
    assert catalog["lessons"] == app.lessons()


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_traceable_lesson_traces_with_the_loss_the_catalog_names(app, name):
    lesson = next(item for item in app.lessons() if item["name"] == name)
    assert lesson["traceable"]
    outcome = call(app, "trace_lesson", {"name": name, "sample": 1})
    assert outcome["ok"], outcome
    assert outcome["result"]["loss_name"] == lesson["loss"]
    assert outcome["result"]["lesson"] == name


def test_start_finetune_defaults_come_from_the_one_constant(app, subset):
    pixels = (subset.test.images()[:40] * 255).astype(np.uint8)
    labels = subset.test.labels[:40].astype(np.uint8)
    outcome = call(app, "start_finetune", {"pixels": pixels.tobytes(), "labels": labels.tobytes()})
    assert outcome["ok"], outcome
    s = outcome["result"]["settings"]
    assert (s["lr"], s["batch_size"], s["epochs"], s["seed"]) == (0.0005, 16, 5, 0)
    assert set(outcome["result"]["before"]) == {"held_out", "learned", "mnist"}
    call(app, "train_slice", {"max_batches": 2})
    result = call(app, "finetune_result", {})["result"]
    assert result["before"] == outcome["result"]["before"] and result["step"] == 2
    app.reset_model()
    assert call(app, "finetune_result", {})["ok"] is False
