"""``python -m pycore``: train, evaluate, predict and run the lessons from a terminal.

``train`` and ``evaluate`` end with the line ``test accuracy: 0.XXXX``. Bad arguments print a
usage message and exit with code 2; a file that cannot be used exits with code 1 and says why
in one line, ``error: FILE: problem``, before any training starts where it can. A training run
that did not learn (:mod:`pycore.verdict`) prints a warning; with ``--strict`` it exits with 3.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import metrics, modelfile
from .data import Subset, default_path, load_subset
from .lessons import LESSONS
from .npzfile import FormatError
from .pngfile import fit, read_image
from .preprocess import to_mnist
from .settings import add_arguments, from_arguments
from .train import RECIPES, Settings, SettingsError, Trainer


class InputError(Exception):
    """A file the command cannot use: printed as ``error: FILE: problem``, exit code 1."""

    def __init__(self, path: Path, problem: object):
        super().__init__(f"{path}: {problem}")


class ProgressBar:
    """A one-line progress bar on stderr (a line per update when stderr is not a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool = True, width: int = 30):
        self.total, self.label, self.width = max(total, 1), label, width
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, done: int, note: str = "", force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < (0.1 if self.tty else 5.0) and done < self.total:
            return
        self.last = now
        filled = int(self.width * done / self.total)
        elapsed = now - self.start
        eta = elapsed / done * (self.total - done) if done else 0.0
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} "
            f"{elapsed:5.1f}s elapsed, {eta:5.1f}s left {note}"
        )
        print(
            ("\r" + line) if self.tty else line,
            end="" if self.tty else "\n",
            file=sys.stderr,
            flush=True,
        )
        if self.tty and done >= self.total:
            print(file=sys.stderr)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pycore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train a network on the MNIST subset")
    train.add_argument("--recipe", choices=sorted(RECIPES), help="start from a named recipe")
    add_arguments(train)  # one flag per training setting, from pycore.settings.TABLE
    train.add_argument("--data", type=Path, help="digit subset file (default: the built site's)")
    train.add_argument("--out", type=Path, help="write the trained model here (.npz)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--held-out-every",
        type=_positive,
        metavar="N",
        help="measure the held-out accuracy every N epochs and at the end (default: every "
        "epoch, or only at the end with --quiet; each measurement costs a forward pass over the "
        "held-out digits)",
    )
    train.add_argument(
        "--strict",
        action="store_true",
        help="exit with code 3 when the run did not learn (accuracy near chance, loss not falling)",
    )

    evaluate = sub.add_parser("evaluate", help="accuracy of a model file on the held-out digits")
    evaluate.add_argument("model", type=Path)
    evaluate.add_argument("--data", type=Path)

    predict = sub.add_parser("predict", help="classify one image (PNG or .npy)")
    predict.add_argument("model", type=Path)
    predict.add_argument(
        "image",
        type=Path,
        help="a PNG or .npy digit; 28x28 is used as is, "
        "anything else is cropped, scaled and centred like MNIST",
    )

    lesson = sub.add_parser("lesson", help="run a worked example; with no name, list them")
    lesson.add_argument("name", nargs="?", choices=list(LESSONS), metavar="NAME")
    lesson.add_argument("--data", type=Path)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    values = dict(RECIPES[args.recipe]) if args.recipe else {}
    values.update(from_arguments(args))
    return Settings.from_dict(values)


def cmd_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        settings = _settings(args)
    except SettingsError as error:
        parser.error(f"--{error.field.replace('_', '-')}: {error.message}")
    try:
        settings.check_size()
    except modelfile.ModelFileError as error:
        parser.error(f"--hidden: {error}")
    if args.out:
        _check_out(args.out)
    subset = _load_data(args.data)
    if len(subset.train) == 0:
        raise InputError(args.data or default_path(), "the digit file has no digits to train on.")
    test = (subset.test.images(), subset.test.labels) if len(subset.test) else None
    if test is None:
        print(
            "note: the digit file holds no held-out digits (too few of each digit to set some "
            "aside), so the run has no test accuracy.",
            file=sys.stderr,
        )
    net = settings.build()
    # Quiet, nothing shows the held-out accuracy until the end, so it is measured only then.
    every = args.held_out_every or (settings.epochs if args.quiet else 1)
    trainer = Trainer(net, settings, subset.train.images(), subset.train.labels, test, every)
    print(
        f"training {net} with {settings.optimizer} lr={settings.lr:g}, "
        f"batch {settings.batch_size}, {settings.epochs} epochs, "
        f"augment {'on' if settings.augment else 'off'}, seed {settings.seed}"
    )
    bar = ProgressBar(trainer.total_steps, "train", enabled=not args.quiet)
    progress = {}
    while not trainer.done:
        progress = trainer.run(max_seconds=0.25)
        note = f"loss {progress['loss']:.4f}" if progress["loss"] is not None else ""
        if trainer.test_accuracy is not None:
            note += f" test {trainer.test_accuracy:.4f}"
        bar.update(trainer.step, note, force=trainer.done)
    if trainer.diverged:
        print(trainer.message, file=sys.stderr)
    elif trainer.verdict and not trainer.verdict["learned"]:
        print(f"warning: {trainer.verdict['message']}", file=sys.stderr)
    acc = trainer.evaluate()
    seconds = trainer.seconds
    print(
        f"trained in {seconds:.1f}s ({trainer.examples_seen / max(seconds, 1e-9):,.0f} examples/s)"
    )
    saved = True
    if args.out:
        training = {**settings.to_dict(), "seconds": round(seconds, 1)}
        saved = _save(net, args.out, training, {} if acc is None else {"test_accuracy": acc})
    print(f"test accuracy: {'none (no held-out digits)' if acc is None else f'{acc:.4f}'}")
    if trainer.diverged or not saved:
        return 1
    return 3 if args.strict and not trainer.verdict["learned"] else 0


def _check_out(path: Path) -> None:
    """Fail before training, not after, if the model could not be written to ``path``."""
    if path.is_dir():
        raise InputError(path, "this is a directory; give a file name such as model.npz.")
    if path.exists() and not path.is_file():
        raise InputError(path, "this is not a regular file; the model cannot be written here.")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(path, f"{folder} is a file, not a directory.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write permission is what counts (root ignores mode bits), so try writing.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".pycore-check-"):
            pass
    except OSError as error:
        raise InputError(path, f"cannot write here: {error.strerror or error}.") from None


def _save(net, path: Path, training: dict, metrics_: dict) -> bool:
    """Write the model to ``path``, or to a fallback file if that fails; True if ``path`` got it.

    Training may have taken hours: a full disk or a vanished directory must not lose it.
    """
    try:
        modelfile.save(net, path, training, metrics_)
        print(f"wrote {path}")
        return True
    except OSError as error:
        reason = error.strerror or str(error)
    name = f"pycore-model-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.npz"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            modelfile.save(net, folder / name, training, metrics_)
        except OSError:
            continue
        print(
            f"error: {path}: cannot write the model ({reason}); saved it to {folder / name} "
            "instead.",
            file=sys.stderr,
        )
        return False
    print(
        f"error: {path}: cannot write the model ({reason}), nor a copy in the current or the "
        "temporary directory.",
        file=sys.stderr,
    )
    return False


def _load_model(path: Path):
    """The digit model in ``path``, or an :class:`InputError` saying why it cannot be used."""
    try:
        return modelfile.load(path, expect=modelfile.DIGITS)
    except FormatError as error:
        raise InputError(path, error) from None


def _load_data(path: Path | None) -> Subset:
    """The digit file at ``path`` (default: the built subset), or an :class:`InputError`."""
    try:
        return load_subset(path)
    except FormatError as error:
        raise InputError(path, error) from None


def _probabilities(net, x: np.ndarray, model: Path) -> np.ndarray:
    with np.errstate(all="ignore"):
        probs = net.predict_proba(x)
    if not np.all(np.isfinite(probs)):
        raise InputError(model, "the model's outputs overflow to infinity or NaN on these digits.")
    return probs


def cmd_evaluate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    net, meta = _load_model(args.model)
    subset = _load_data(args.data)
    if len(subset.test) == 0:
        raise InputError(
            args.data or default_path(), "the digit file has no held-out digits to evaluate on."
        )
    probs = _probabilities(net, subset.test.images(net.dtype.type), args.model)
    report = metrics.report(probs, subset.test.labels)
    print(f"model: {net}")
    print(
        "per-class accuracy: "
        + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(report["per_class"]))
    )
    print("confusion matrix (rows: true digit, columns: predicted):")
    for d, row in enumerate(report["confusion"]):
        print(f"  {d} " + " ".join(f"{n:4d}" for n in row))
    print(f"test accuracy: {report['accuracy']:.4f}")
    return 0


def _read_image(path: Path) -> np.ndarray:
    """The image at ``path`` as 784 MNIST-like values, or an :class:`InputError`."""
    try:
        image = read_image(path)
    except FormatError as error:
        raise InputError(path, error) from None
    x = image.reshape(-1) if image.shape == (28, 28) else to_mnist(fit(image))
    if x is None:
        raise InputError(path, "the image is empty: no ink found.")
    return x.astype(np.float32)


def cmd_predict(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    net, _ = _load_model(args.model)
    x = _read_image(args.image)
    probs = _probabilities(net, x[None, :], args.model)[0]
    for digit, p in enumerate(probs):
        print(f"{digit}: {p:.4f} {'#' * int(round(p * 40))}")
    print(f"predicted digit: {int(np.argmax(probs))}")
    return 0


def cmd_lesson(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.name is None:
        print("\n".join(LESSONS))
        return 0
    lesson = LESSONS[args.name]
    print(f"{lesson.title}: {lesson.summary}")
    bar = ProgressBar(1, args.name)
    kwargs = {"subset": _load_data(args.data)} if lesson.uses_digits else {}

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done)

    result = lesson.run(progress=progress, **kwargs)
    for line in result["lines"]:
        print(line)
    return 0


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "lesson": cmd_lesson,
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code = COMMANDS[args.command](args, parser)
        sys.stdout.flush()  # here, so that a closed pipe is caught below and not at exit
        return code
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (InputError, FormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly. Point stdout at devnull so that the
        # interpreter's last flush does not report the broken pipe either.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
