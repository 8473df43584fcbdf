"""My digits: the held-out split, the mix with MNIST, the file format, and fine-tuning."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pycore import Network, modelfile
from pycore.data import default_path, subset_from_bytes
from pycore.mydigits import (
    as_pixels,
    check,
    collection_from_bytes,
    collection_to_bytes,
    holdout_split,
    mix_with_mnist,
)
from pycore.worker_api import App


def _collection(subset, n=40, start=0):
    return subset.test.pixels[start : start + n].copy(), subset.test.labels[
        start : start + n
    ].copy()


def test_holdout_is_stratified_seeded_and_keeps_something_to_learn():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 2 + [3])
    learn, held = holdout_split(labels, 0.2, seed=7)
    assert np.bincount(labels[held], minlength=4).tolist() == [2, 1, 1, 0]
    assert sorted(np.concatenate([learn, held]).tolist()) == list(range(labels.size))
    again = holdout_split(labels, 0.2, seed=7)
    assert np.array_equal(again[1], held)
    other = [tuple(holdout_split(labels, 0.2, seed=s)[1]) for s in range(6)]
    assert len(set(other)) > 1, "the seed chooses which samples are held out"


def test_mix_makes_mnist_the_requested_share(subset):
    own_x, own_y = subset.test.images()[:20], subset.test.labels[:20]
    x, y, n_mnist = mix_with_mnist(own_x, own_y, subset.train.images(), subset.train.labels, 0.75)
    assert n_mnist == 60 and len(x) == len(y) == 80
    assert np.array_equal(x[:20], own_x)
    x0, _, n0 = mix_with_mnist(own_x, own_y, subset.train.images(), subset.train.labels, 0.0)
    assert n0 == 0 and len(x0) == 20
    with pytest.raises(ValueError):
        mix_with_mnist(own_x, own_y, subset.train.images(), subset.train.labels, 0.99)


def test_pixels_and_labels_are_checked():
    with pytest.raises(ValueError, match="28x28"):
        check(np.zeros(100, np.uint8), np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match="0 to 9"):
        check(np.zeros(784, np.uint8), np.array([10]))
    assert as_pixels(np.full(784, 0.5)).shape == (1, 784)
    assert as_pixels(np.full(784, 1.0))[0, 0] == 255


def test_export_then_import_gives_the_same_digits(subset):
    pixels, labels = _collection(subset)
    data = collection_to_bytes(pixels, labels, seed=3)
    split = subset_from_bytes(data)
    assert len(split.train) + len(split.test) == 40 and len(split.test) > 0
    back_pixels, back_labels = collection_from_bytes(data)
    mine = sorted(zip(labels.tolist(), map(bytes, pixels), strict=True))
    back = sorted(zip(back_labels.tolist(), map(bytes, back_pixels), strict=True))
    assert mine == back
    assert collection_to_bytes(pixels, labels, seed=3) == data, "same digits, same bytes"


def test_the_cli_trains_on_an_exported_collection(subset, tmp_path):
    pixels, labels = _collection(subset, 60)
    path = tmp_path / "my-digits.npz"
    path.write_bytes(collection_to_bytes(pixels, labels))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pycore",
            "train",
            "--data",
            str(path),
            "--hidden",
            "16",
            "--epochs",
            "2",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1].startswith("test accuracy: ")


@pytest.fixture
def app(subset) -> App:
    net = Network.build(
        [784, 32, 10], ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(0)
    )
    app = App(default_path().read_bytes(), modelfile.to_bytes_model(net))
    app.start_training(
        {"hidden": "32", "epochs": 1, "batch_size": 32, "optimizer": "adam", "lr": 0.002},
        fresh=True,
    )
    while not app.trainer.done:
        app.train_slice(max_seconds=1)
    return app


def test_accuracy_on_my_digits_next_to_mnist(app, subset):
    pixels, labels = _collection(subset, 30)
    result = app.my_digits_accuracy(pixels.reshape(-1), labels)
    assert result["count"] == 30 and result["predicted"].dtype == np.uint8
    assert result["correct"] == int(np.sum(result["predicted"] == labels))
    assert result["accuracy"] == pytest.approx(result["correct"] / 30)
    assert 0.5 < result["mnist_accuracy"] <= 1


def test_finetune_on_my_digits_changes_held_out_accuracy(app, subset):
    # "My digits": MNIST test digits drawn thicker and shifted, a style the network has not seen.
    rows = subset.test.pixels[:120].reshape(-1, 28, 28).astype(np.int32)
    thick = np.maximum(rows, np.roll(rows, 1, axis=2))
    thick = np.maximum(thick, np.roll(thick, 1, axis=1))
    shifted = np.roll(thick, (4, 4), axis=(1, 2)).clip(0, 255).astype(np.uint8).reshape(-1, 784)
    labels = subset.test.labels[:120]
    info = app.start_finetune(shifted.reshape(-1), labels, mnist_share=0.5, epochs=8, seed=1)
    assert info["counts"]["held_out"] + info["counts"]["learn"] == 120
    assert info["counts"]["mnist"] == info["counts"]["learn"]
    assert info["total_steps"] == 8 * info["batches_per_epoch"]
    while not app.trainer.done:
        app.train_slice(max_seconds=1)
    result = app.finetune_result()
    before, after = result["before"], result["after"]
    assert after["learned"] > before["learned"]
    assert after["held_out"] > before["held_out"]
    assert after["mnist"] > 0.5
    again = app.start_finetune(shifted.reshape(-1), labels, 0.5, 8, seed=1)
    assert np.array_equal(again["held_out_index"], info["held_out_index"])


def test_finetune_without_digits_says_what_to_do(app):
    with pytest.raises(ValueError, match="draw and label"):
        app.start_finetune(np.zeros(0, np.uint8), np.zeros(0, np.uint8))


def test_worker_export_import_and_snapshot(app, subset):
    pixels, labels = _collection(subset, 25)
    data = app.export_collection(pixels.reshape(-1), labels, seed=2)
    back = app.import_collection(data)
    assert back["count"] == 25 and back["pixels"].size == 25 * 784
    with pytest.raises(Exception, match="digit file"):
        app.import_collection(b"not a file")
    snap = app.model_snapshot()
    assert snap["default"] is False and isinstance(snap["bytes"], bytes)
    app.reset_model()
    assert app.model_snapshot()["default"] is True


def test_the_finetune_holds_out_one_from_three_and_two_from_eight_drawings():
    labels = np.array([0] * 2 + [1] * 3 + [2] * 7 + [3] * 8 + [4] * 12)
    _, held = holdout_split(labels, 0.2, seed=0, min_samples=3)
    assert np.bincount(labels[held], minlength=5).tolist() == [0, 1, 1, 2, 2]


def _drawings(subset, per_digit: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows = np.concatenate(
        [np.flatnonzero(subset.test.labels == d)[:n] for d, n in per_digit.items()]
    )
    return subset.test.pixels[rows].reshape(-1), subset.test.labels[rows]


def test_too_few_held_out_drawings_give_no_verdict_but_the_counts(app, subset):
    pixels, labels = _drawings(subset, {1: 3, 7: 3, 3: 3, 8: 3})  # 12 drawings
    info = app.start_finetune(pixels, labels, epochs=1)
    assert info["counts"]["held_out_per_digit"] == [0, 1, 0, 1, 0, 0, 0, 1, 1, 0]
    assert info["counts"]["learn_per_digit"] == [0, 2, 0, 2, 0, 0, 0, 2, 2, 0]
    while not app.trainer.done:
        app.train_slice(max_seconds=1)
    result = app.finetune_result()
    verdict = result["verdict"]
    assert verdict["kind"] == "too_few" and verdict["held_out"] == 4 and verdict["digits"] == 4
    assert verdict["sentence"].startswith("Too few drawings to tell: 4 of your drawings are held")
    assert "1 of digit 1, 1 of digit 3, 1 of digit 7, 1 of digit 8" in verdict["sentence"]
    assert "generalised" not in verdict["sentence"].replace("whether it generalised", "")
    assert result["counts"] == info["counts"]


def test_enough_held_out_drawings_give_a_verdict_with_the_counts(app, subset):
    pixels, labels = _drawings(subset, {d: 8 for d in range(5)})  # 2 of each held out
    app.start_finetune(pixels, labels, epochs=1)
    verdict = app.finetune_result()["verdict"]
    assert verdict["held_out"] == 10 and verdict["digits"] == 5
    assert verdict["held_out_per_digit"] == [2, 2, 2, 2, 2, 0, 0, 0, 0, 0]
    assert verdict["kind"] in {"generalised", "unchanged", "worse"}
    assert "the 10 drawings of yours it never trained on (2 of digit 0," in verdict["sentence"]
