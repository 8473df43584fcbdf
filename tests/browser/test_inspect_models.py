"""Inspecting the network (accuracy, confusion matrix, mistakes, weights) and model files."""

from __future__ import annotations

import subprocess
import sys

import digits
import numpy as np
from conftest import DIST, ROOT, draw_strokes

from pycore import modelfile
from pycore.data import load_subset

MODEL = DIST / "models" / "default.npz"
SIZES = modelfile.load(MODEL)[0].sizes  # the pretrained network, e.g. [784, 1024, 256, 10]
PRETRAINED = ",".join(map(str, SIZES))


def open_view(page, site, view):
    page.goto(f"{site}/#/{view}")
    page.wait_for_function(f"() => !document.querySelector('#view-{view}').hidden")


def cpython_predictions(path=MODEL):
    """The held-out labels and the model's predictions, computed in CPython."""
    net, _ = modelfile.load(path)
    test = load_subset(DIST / "data" / "mnist-subset.npz").test
    return test.labels, net.predict(test.images())


def wait_evaluated(page):
    page.wait_for_function(
        "() => document.querySelector('#accuracy').dataset.accuracy !== undefined", timeout=30_000
    )
    return float(page.get_attribute("#accuracy", "data-accuracy"))


def confusion_counts(page) -> np.ndarray:
    cells = page.locator("#confusion button.cell")
    assert cells.count() == 100
    return np.array([int(t) for t in cells.all_inner_texts()]).reshape(10, 10)


def test_evaluation_matches_cpython_and_the_matrix_adds_up(page, site):
    open_view(page, site, "inspect")
    accuracy = wait_evaluated(page)
    labels, predicted = cpython_predictions()
    assert accuracy == np.mean(labels == predicted)
    assert f"{accuracy * 100:.2f}%" in page.inner_text("#accuracy")
    counts = confusion_counts(page)
    assert counts.sum() == len(labels)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (labels, predicted), 1)
    assert (counts == expected).all()


def test_a_confusion_cell_opens_the_digits_behind_it(page, site):
    open_view(page, site, "inspect")
    wait_evaluated(page)
    counts = confusion_counts(page)
    off = counts.copy()
    np.fill_diagonal(off, 0)
    r, c = np.unravel_index(np.argmax(off), off.shape)
    n = int(off[r, c])
    cell = page.locator(f"#confusion button[data-true='{r}'][data-predicted='{c}']")
    assert cell.get_attribute("aria-label").startswith(f"{n} digit")
    cell.focus()
    page.keyboard.press("Enter")
    gallery = page.locator("[data-testid=cell-examples]")
    gallery.wait_for()
    assert cell.get_attribute("aria-pressed") == "true"
    assert f"True {r}, predicted {c}: {n} digit" in page.inner_text("#cell-examples")
    assert gallery.locator("canvas").count() == min(n, 24)
    # The digits shown are exactly those the network mistakes this way.
    labels, predicted = cpython_predictions()
    shown = [int(t.lstrip("#")) for t in gallery.locator("figcaption").all_inner_texts()]
    assert all(labels[i] == r and predicted[i] == c for i in shown)


def test_mistakes_and_first_layer_weights_are_shown(page, site):
    open_view(page, site, "inspect")
    wait_evaluated(page)
    page.wait_for_function("() => document.querySelectorAll('#mistakes figure').length > 0")
    first = page.locator("#mistakes figure").first.inner_text()
    assert "is " in first and "said " in first and "%" in first
    page.wait_for_function("() => document.querySelector('#weights-shape').textContent !== ''")
    first = modelfile.load(MODEL)[0].layers[0]
    size = page.evaluate(
        "() => ['width', 'height'].map((k) => document.querySelector('#weights')[k])"
    )
    if first.describe()["kind"] == "conv2d":  # one small picture per filter
        expected = f"K1: {first.c_out} filters of {first.k}×{first.k}"
        assert page.get_attribute("#weights", "data-filters") == str(first.c_out)
        assert size[0] >= 100 and size[1] >= 50
    else:  # one 28x28 picture per unit
        expected = f"W1: {SIZES[1]}×784"
        assert size[0] > 28 * 8 and size[1] > 28 * 8
    assert page.inner_text("#weights-shape").startswith(expected)


def test_a_corrupt_model_file_is_refused_and_the_current_model_kept(page, site):
    open_view(page, site, "models")
    page.wait_for_function(
        "s => document.querySelector('#model-info').dataset.sizes === s", arg=PRETRAINED
    )
    whole = MODEL.read_bytes()
    for name, data in [
        ("notes.npz", b"this is not a model"),
        ("cut.npz", whole[: len(whole) // 2]),
    ]:
        page.set_input_files(
            "#model-upload",
            files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}],
        )
        error = page.locator("#models-error")
        error.wait_for(state="visible")
        assert f"{name} was not loaded" in error.inner_text()
        assert "current model is unchanged" in error.inner_text()
        assert "Traceback" not in error.inner_text()
    assert page.get_attribute("#model-info", "data-sizes") == PRETRAINED
    page.goto(f"{site}/#/draw")
    label, strokes = digits.digit(0)
    draw_strokes(page, strokes)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction]').textContent !== ''"
    )
    assert page.inner_text("[data-testid=prediction]") == str(label)


def test_a_model_trained_by_the_cli_is_accepted(page, site, tmp_path):
    out = tmp_path / "cli-model.npz"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pycore",
            "train",
            "--hidden",
            "16",
            "--epochs",
            "1",
            "--quiet",
            "--data",
            str(DIST / "data" / "mnist-subset.npz"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    cli_accuracy = float(run.stdout.strip().splitlines()[-1].split(":")[1])
    open_view(page, site, "models")
    page.set_input_files("#model-upload", str(out))
    page.wait_for_function(
        "() => document.querySelector('#model-info').dataset.sizes === '784,16,10'"
    )
    assert "Loaded cli-model.npz" in page.inner_text("#models-message")
    assert not page.is_visible("#models-error")
    assert f"{cli_accuracy * 100:.2f}%" in page.inner_text("#model-info")
    # The page's own evaluation of the uploaded network agrees with the CLI.
    open_view(page, site, "inspect")
    page.click("#evaluate")
    page.wait_for_function(
        "a => Math.abs(Number(document.querySelector('#accuracy').dataset.accuracy) - a) < 1e-9",
        arg=cli_accuracy,
    )
    # Reset brings the pretrained network back.
    open_view(page, site, "models")
    page.click("#model-reset")
    page.wait_for_function(
        "s => document.querySelector('#model-info').dataset.sizes === s", arg=PRETRAINED
    )


def test_the_downloaded_model_loads_in_cpython(page, site, tmp_path):
    open_view(page, site, "models")
    with page.expect_download() as info:
        page.click("#model-download")
    download = info.value
    assert download.suggested_filename == "pycore-model.npz"
    path = tmp_path / "downloaded.npz"
    download.save_as(path)
    net, meta = modelfile.load(path)
    default, _ = modelfile.load(MODEL)
    assert net.sizes == default.sizes == SIZES
    for name, value in default.parameters().items():
        assert np.array_equal(net.parameters()[name], value), name
