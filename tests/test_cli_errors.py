"""Every file the CLI cannot use gives one line, ``error: FILE: problem``, and exit code 1.

These run ``python -m pycore`` as a person would (message, exit code, no traceback), and check
that finished training is never thrown away because the output path is bad.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pycore import Network, cli, modelfile
from pycore.mydigits import collection_to_bytes

ROOT = Path(__file__).resolve().parent.parent


def pycore(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pycore", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _refused(result: subprocess.CompletedProcess, path, words: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"error: {path}: ") and words in lines[0], lines[0]


@pytest.fixture
def files(tmp_path) -> Path:
    """A digit model, a model of the wrong width, digit files and a few bad inputs."""
    rng = np.random.default_rng(0)
    modelfile.save(Network.build([784, 10], "softmax", rng=rng), tmp_path / "model.npz")
    modelfile.save(Network.build([784, 13], "softmax", rng=rng), tmp_path / "wide.npz")
    pixels = rng.integers(0, 256, (10, 784)).astype(np.uint8)
    # One drawing per digit: too few to hold any out, so the test split is empty.
    (tmp_path / "one-each.npz").write_bytes(collection_to_bytes(pixels, np.arange(10)))
    (tmp_path / "empty.npz").write_bytes(collection_to_bytes(pixels[:0], np.arange(0)))
    np.save(tmp_path / "nan.npy", np.full((28, 28), np.nan))
    np.save(tmp_path / "table.npy", np.zeros(3, dtype=[("a", "f4"), ("b", "i4")]))
    (tmp_path / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file").write_text("not a directory")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "bad", "words"),
    [
        (["evaluate", "{d}"], "{d}", "directory"),
        (["evaluate", "{d}/fifo"], "{d}/fifo", "not a regular file"),
        (["evaluate", "/dev/zero"], "/dev/zero", "not a regular file"),
        (["evaluate", "{d}/wide.npz"], "{d}/wide.npz", "gives 13 outputs"),
        (["evaluate", "{d}/model.npz", "--data", "{d}"], "{d}", "directory"),
        (["evaluate", "{d}/model.npz", "--data", "{d}/one-each.npz"], "{d}/one-each.npz", "held"),
        (["predict", "{d}/model.npz", "{d}/nan.npy"], "{d}/nan.npy", "NaN"),
        (["predict", "{d}/model.npz", "{d}/table.npy"], "{d}/table.npy", "plain numbers"),
        (["predict", "{d}/model.npz", "{d}/cut.png"], "{d}/cut.png", "corrupt"),
        (["predict", "{d}/model.npz", "{d}/fifo"], "{d}/fifo", "not a regular file"),
        (["train", "--out", "{d}"], "{d}", "directory"),
        (["train", "--out", "{d}/file/model.npz"], "{d}/file/model.npz", "not a directory"),
        (["train", "--data", "{d}/empty.npz"], "{d}/empty.npz", "no digits to train on"),
    ],
)
def test_a_file_that_cannot_be_used_is_one_line_and_exit_code_1(files, args, bad, words):
    result = pycore(*(a.format(d=files) for a in args))
    _refused(result, bad.format(d=files), words)
    assert "training" not in result.stdout  # refused before any work


def test_hidden_sizes_whose_model_could_not_be_loaded_are_refused_before_training():
    result = pycore("train", "--hidden", "4096,4096,4096,4096")
    assert result.returncode == 2 and "--hidden" in result.stderr and "too large" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_collection_without_held_out_digits_trains_and_says_so(files):
    out = files / "new" / "trained.npz"
    result = pycore(
        "train", "--data", files / "one-each.npz", "--hidden", "8", "--epochs", "1", "--quiet",
        "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no held-out digits" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "test accuracy: none (no held-out digits)"
    net, meta = modelfile.load(out, expect=modelfile.DIGITS)
    assert net.sizes == [784, 8, 10] and meta["metrics"] == {}


def test_a_closed_pipe_ends_quietly(files):
    """``python -m pycore ... | head -1``: the reader leaves early; no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pycore", "predict", files / "model.npz", files / "nan.npy"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    np.save(files / "blank.npy", np.zeros((28, 28)))
    process = subprocess.Popen(
        [sys.executable, "-m", "pycore", "predict", files / "model.npz", files / "blank.npy"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert err == b"" and process.returncode == 1


def test_a_failed_write_after_training_saves_a_copy_and_says_where(
    files, monkeypatch, capsys, tmp_path
):
    out = files / "model-out.npz"
    save = modelfile.save

    def disk_full_at_out(net, path, *rest):
        if Path(path) == out:
            raise OSError(28, "No space left on device")
        save(net, path, *rest)

    monkeypatch.setattr(modelfile, "save", disk_full_at_out)
    monkeypatch.chdir(tmp_path)
    code = cli.main(
        ["train", "--data", str(files / "one-each.npz"), "--hidden", "4", "--epochs", "1",
         "--quiet", "--out", str(out)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err
    copies = list(tmp_path.glob("pycore-model-*.npz"))
    assert len(copies) == 1 and f"saved it to {copies[0]}" in err
    assert modelfile.load(copies[0])[0].sizes == [784, 4, 10]


def test_an_unwritable_out_directory_is_refused_before_training(files, monkeypatch, capsys):
    """Root may write anywhere, so a read-only directory is simulated at the probe."""

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "NamedTemporaryFile", read_only)
    code = cli.main(["train", "--data", str(files / "one-each.npz"), "--out", str(files / "m.npz")])
    err = capsys.readouterr().err
    assert (
        code == 1
        and err.strip() == f"error: {files / 'm.npz'}: cannot write here: Permission denied."
    )
