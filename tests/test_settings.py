"""The settings table is the one source: parsing, CLI flags, the page's schema and the recipes."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest

from pycore import activations, losses, optim, settings
from pycore import init as initialisers
from pycore.cli import _parser
from pycore.settings import RECIPE_TITLES, RECIPES, TABLE, Setting, Settings, SettingsError
from pycore.train import RECIPES as TRAIN_RECIPES
from pycore.train import Settings as TrainSettings
from pycore.train import SettingsError as TrainSettingsError

NAMES = [s.name for s in TABLE]
FORM = [
    "conv", "kernel", "hidden", "dropout", "activation", "output", "loss", "optimizer", "lr",
    "batch_size", "epochs", "seed",
    "init", "lr_decay", "lr_schedule", "augment",
]  # fmt: skip


def _train_flags() -> dict[str, list[str]]:
    """The dest and option strings of every flag of ``python -m pycore train``."""
    sub = next(a for a in _parser()._actions if a.dest == "command")
    train = sub.choices["train"]
    flags: dict[str, list[str]] = {}
    for action in train._actions:
        flags.setdefault(action.dest, []).extend(action.option_strings)
    return flags


def test_cli_settings_and_schema_list_exactly_the_tables_names():
    """Adding a row to TABLE is all it takes for the CLI, the parser and the page to know it."""
    flags = _train_flags()
    run_flags = ("help", "recipe", "data", "out", "quiet", "held_out_every", "strict")
    cli = [d for d in flags if d not in run_flags]
    assert cli == NAMES
    assert [f.name for f in fields(Settings)] == NAMES
    assert list(Settings.from_dict({}).to_dict()) == NAMES
    assert [s["name"] for s in settings.schema()] == NAMES
    for recipe in RECIPES.values():
        assert list(recipe) == NAMES


def test_the_cli_keeps_its_flag_names_and_spellings():
    flags = _train_flags()
    assert flags["hidden"] == ["--hidden", "--layers"]
    assert flags["optimizer"] == ["--optimizer", "--optimiser"]
    assert flags["lr"] == ["--lr", "--learning-rate"]
    assert flags["batch_size"] == ["--batch-size"]
    assert flags["lr_decay"] == ["--lr-decay"] and flags["lr_schedule"] == ["--lr-schedule"]
    assert flags["augment"] == ["--augment", "--no-augment"]
    args = _parser().parse_args(["train"])
    assert all(getattr(args, name) is None for name in NAMES)  # the recipe or default decides
    args = _parser().parse_args(["train", "--learning-rate", "0.5", "--no-augment"])
    assert settings.from_arguments(args) == {"lr": "0.5", "augment": False}


def test_the_defaults_of_settings_are_the_tables():
    assert Settings().to_dict() == settings.DEFAULTS
    assert Settings.from_dict({}).to_dict() == settings.DEFAULTS


def test_schema_is_json_and_in_the_forms_order():
    schema = json.loads(json.dumps(settings.schema()))
    assert [s["name"] for s in schema if s["form"]] == FORM
    keys = {"name", "kind", "label", "help", "default", "min", "max", "low_open", "choices"}
    for s in schema:
        assert set(s) == keys | {"form", "group"}
        assert s["label"] and s["help"]
        assert (s["choices"] is None) == (s["kind"] != "choice")
    lr = next(s for s in schema if s["name"] == "lr")
    assert (lr["min"], lr["max"], lr["low_open"], lr["default"]) == (0.0, 100.0, True, 0.001)


def test_choices_carry_human_labels_and_every_catalogue_entry():
    by_name = {s["name"]: s for s in settings.schema()}
    assert dict(by_name["activation"]["choices"])["relu"] == "ReLU"
    assert dict(by_name["loss"]["choices"]) == {
        "cross_entropy": "cross-entropy",
        "mse": "mean squared error",
    }
    assert dict(by_name["optimizer"]["choices"])["adam"] == "Adam"
    assert [v for v, _ in by_name["activation"]["choices"]][:4] == [
        "relu", "sigmoid", "tanh", "identity",
    ]  # fmt: skip
    for name, catalogue in [
        ("activation", activations.ACTIVATIONS),
        ("output", activations.ACTIVATIONS),
        ("loss", losses.LOSSES),
        ("optimizer", optim.OPTIMIZERS),
        ("init", initialisers.INITIALISERS),
    ]:
        assert sorted(v for v, _ in by_name[name]["choices"]) == sorted(catalogue), name
    names = settings.names()
    assert set(names) == {"activation", "loss", "optimizer", "init"}
    assert names["activation"]["softmax"] == "softmax" and names["init"]["he"] == "He (for ReLU)"


@pytest.mark.parametrize("setting", TABLE, ids=NAMES)
def test_every_default_passes_its_own_check(setting):
    assert setting.parse(setting.default) == setting.default


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"lr": "0"}, "lr"),
        ({"batch_size": "2.5"}, "batch_size"),
        ({"hidden": "1,2,3,4,5,6,7,8,9"}, "hidden"),
        ({"hidden": "5000"}, "hidden"),
        ({"augment": "maybe"}, "augment"),
        ({"activation": "swish"}, "activation"),
        ({"loss": "cross_entropy", "output": "sigmoid"}, "output"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_name_their_field(values, field):
    with pytest.raises(SettingsError) as info:
        Settings.from_dict(values)
    assert info.value.field == field


def test_a_new_row_is_parsed_shown_and_flagged_without_other_changes(monkeypatch):
    """What adding a setting looks like: one Setting row (here patched in for the test)."""
    row = Setting("warmup", "int", "Warm-up steps", "Steps at a rising learning rate", 0, 0, 99)
    table = (*TABLE, row)
    monkeypatch.setattr(settings, "TABLE", table)
    monkeypatch.setattr(settings, "BY_NAME", {s.name: s for s in table})
    assert settings.schema()[-1]["name"] == "warmup"
    args = _parser().parse_args(["train", "--warmup", "7"])
    assert settings.from_arguments(args) == {"warmup": "7"}
    with pytest.raises(SettingsError, match="warmup"):
        row.parse("100")


def test_a_setting_refuses_an_unknown_kind_and_stray_choices():
    with pytest.raises(ValueError):
        Setting("x", "text", "X", "x", "")
    with pytest.raises(ValueError):
        replace(TABLE[0], choices=(("a", "A"),))


def test_recipes_are_complete_titled_and_in_the_pages_order():
    assert list(RECIPES) == ["small", "lesson", "mlp", "cnn-lesson", "cnn", "default"]
    assert list(RECIPES) == list(RECIPE_TITLES)
    for name, recipe in RECIPES.items():
        assert Settings.from_dict(recipe).to_dict() == recipe, name
    small, lesson = RECIPES["small"], RECIPES["lesson"]
    assert small["hidden"] == [10] and small["optimizer"] == "sgd" and small["lr"] == 0.1
    assert (small["batch_size"], small["epochs"], small["augment"]) == (32, 10, False)
    assert {**small, "batch_size": 8000, "epochs": 500} == lesson
    listed = settings.recipes()
    assert [r["name"] for r in listed] == list(RECIPES)
    assert listed[2]["title"] == "Strong MLP: 784-1024-256-10, Adam, augmentation (long)"
    assert listed[2]["settings"]["ema"] == 0.999 and listed[2]["settings"]["elastic"] == 3.5
    assert listed[-1]["name"] == "default" and "pretrained" in listed[-1]["title"]


def test_the_pretrained_models_recipe_is_unchanged():
    """scripts/build_model.py trains RECIPES['default']; these are the values it was built with."""
    assert Settings.from_dict(RECIPES["default"]).to_dict() == {
        "conv": [32, 64], "kernel": 5, "hidden": [256], "dropout": 0.5, "activation": "relu",
        "output": "softmax", "loss": "cross_entropy", "label_smoothing": 0.1,
        "optimizer": "adam", "lr": 0.002, "batch_size": 64, "epochs": 40, "seed": 0,
        "init": "he", "lr_decay": 1.0, "lr_schedule": "cosine", "augment": True,
        "dtype": "float32", "ema": 0.99, "rotation": 10.0, "shift": 2.0, "scale": 0.12,
        "elastic": 2.0, "shear": 0.2, "thickness": 0.3, "forms": 0.25,
    }  # fmt: skip


def test_train_still_exports_settings_recipes_and_the_error():
    assert TrainSettings is Settings and TrainSettingsError is SettingsError
    assert TRAIN_RECIPES is RECIPES
