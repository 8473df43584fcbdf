"""``python -m pycore`` as a person runs it: exit codes, messages and the last line."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from pycore import Network, modelfile
from pycore.data import default_path

ROOT = Path(__file__).resolve().parent.parent


def pycore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pycore", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_lesson_without_a_name_lists_the_lessons():
    result = pycore("lesson")
    assert result.returncode == 0
    assert result.stdout.split() == [
        "neuron", "network", "mse", "weight-height", "mnist-784-10-10", "cnn",
    ]  # fmt: skip


def test_lesson_prints_the_worked_example():
    result = pycore("lesson", "network")
    assert result.returncode == 0 and "0.7216325609518421" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--lr", "fast"],
        ["train", "--batch-size", "0"],
        ["train", "--hidden", "12,x"],
        ["train", "--optimizer", "rmsprop"],
        ["train", "--lr-schedule", "zigzag"],
        ["train", "--ema", "1.5"],
        ["train", "--elastic", "-1"],
        ["frobnicate"],
        ["lesson", "no-such-lesson"],
        ["evaluate"],
    ],
)
def test_bad_arguments_give_usage_and_exit_code_2(args):
    result = pycore(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_a_corrupt_model_file_is_an_error_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 definitely not a model")
    result = pycore("evaluate", str(bad))
    assert result.returncode == 1 and "error:" in result.stderr and "Traceback" not in result.stderr


def _png(image: np.ndarray) -> bytes:
    """A grayscale 8-bit PNG of ``image`` (uint8), written by hand."""
    raw = b"".join(b"\x00" + row.tobytes() for row in image)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", image.shape[1], image.shape[0], 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.mark.slow
def test_train_evaluate_and_predict_round_trip(tmp_path, subset):
    out = tmp_path / "model.npz"
    trained = pycore(
        "train",
        "--hidden",
        "32",
        "--epochs",
        "2",
        "--seed",
        "1",
        "--out",
        str(out),
        "--data",
        str(default_path()),
    )
    assert trained.returncode == 0, trained.stderr
    last = trained.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last)
    assert float(last.split()[-1]) > 0.85
    evaluated = pycore("evaluate", str(out))
    assert evaluated.returncode == 0 and evaluated.stdout.strip().splitlines()[-1] == last

    net, _ = modelfile.load(out)
    for index in range(5):
        image, label = subset.test.pixels[index], int(subset.test.labels[index])
        if net.predict(subset.test.images()[index : index + 1])[0] != label:
            continue
        # Black ink on white, 3x larger and off-centre, as someone might save a drawing.
        page = np.full((120, 120), 255, np.uint8)
        page[10:94, 30:114] = 255 - np.kron(image.reshape(28, 28), np.ones((3, 3), np.uint8))
        path = tmp_path / f"digit{index}.png"
        path.write_bytes(_png(page))
        predicted = pycore("predict", str(out), str(path))
        assert predicted.returncode == 0, predicted.stderr
        assert predicted.stdout.strip().splitlines()[-1] == f"predicted digit: {label}"
        np.save(tmp_path / "d.npy", image.reshape(28, 28))
        from_npy = pycore("predict", str(out), str(tmp_path / "d.npy"))
        assert from_npy.stdout.strip().splitlines()[-1] == f"predicted digit: {label}"
        break
    else:
        pytest.fail("the small model got none of the first five digits right")


def test_same_seed_same_model_bytes(tmp_path, subset):
    paths = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for path in paths:
        result = pycore(
            "train",
            "--hidden",
            "8",
            "--epochs",
            "1",
            "--seed",
            "5",
            "--augment",
            "--quiet",
            "--out",
            str(path),
        )
        assert result.returncode == 0, result.stderr
    a, b = (modelfile.load(p)[0] for p in paths)
    for name, p in a.parameters().items():
        assert p.tobytes() == b.parameters()[name].tobytes()


def test_unused_network_saves_and_predicts(tmp_path):
    """predict works without the digit subset at all."""
    net = Network.build([784, 10], "softmax", "cross_entropy", rng=np.random.default_rng(0))
    modelfile.save(net, tmp_path / "m.npz")
    np.save(tmp_path / "blank.npy", np.zeros((28, 28)))
    result = pycore("predict", str(tmp_path / "m.npz"), str(tmp_path / "blank.npy"))
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1].startswith("predicted digit: ")


def test_schedule_averaging_and_augmentation_flags_reach_the_saved_settings(tmp_path, subset):
    out = tmp_path / "m.npz"
    result = pycore(
        "train", "--hidden", "8", "--epochs", "1", "--batch-size", "500", "--quiet",
        "--lr-schedule", "cosine", "--ema", "0.9", "--augment", "--rotation", "5",
        "--shift", "1", "--scale", "0.05", "--elastic", "1.5",
        "--data", str(default_path()), "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", result.stdout.strip().splitlines()[-1])
    _, meta = modelfile.load(out)
    training = meta["training"]
    assert training["lr_schedule"] == "cosine" and training["ema"] == 0.9
    assert (training["rotation"], training["shift"], training["scale"], training["elastic"]) == (
        5.0, 1.0, 0.05, 1.5,
    )  # fmt: skip


def test_a_run_that_did_not_learn_warns_and_strict_makes_it_exit_3(subset):
    args = ["train", "--hidden", "8", "--epochs", "1", "--lr", "100", "--quiet"]
    args += ["--data", str(default_path())]
    loose = pycore(*args)
    assert loose.returncode == 0, loose.stderr
    assert "warning: The run did not learn." in loose.stderr
    assert "Try learning rate 0.001." in loose.stderr
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", loose.stdout.strip().splitlines()[-1])
    strict = pycore(*args, "--strict")
    assert strict.returncode == 3
    assert strict.stderr == loose.stderr
    assert strict.stdout.strip().splitlines()[-1] == loose.stdout.strip().splitlines()[-1]


def test_strict_lets_a_run_that_learned_exit_0(subset):
    result = pycore(
        "train", "--hidden", "16", "--epochs", "1", "--quiet", "--strict",
        "--data", str(default_path()),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


def test_held_out_every_is_checked_and_the_last_epoch_is_always_measured(subset):
    args = ["train", "--hidden", "8", "--epochs", "2", "--batch-size", "500"]
    args += ["--data", str(default_path())]
    bad = pycore(*args, "--held-out-every", "0")
    assert bad.returncode == 2
    assert "--held-out-every: must be a whole number of at least 1, not '0'" in bad.stderr
    good = pycore(*args, "--held-out-every", "5")
    assert good.returncode == 0, good.stderr
    # Never at the end of epoch 1; always at the end of the run.
    assert re.search(r"test 0\.\d{4}\s*$", good.stderr.strip())
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", good.stdout.strip().splitlines()[-1])
