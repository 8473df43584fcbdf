"""``python -m pycore``: train, evaluate, predict and run the lessons from a terminal.

``train`` and ``evaluate`` end with the line ``test accuracy: 0.XXXX``. Bad arguments print a
usage message and exit with code 2; a file that cannot be used exits with code 1 and says why.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import metrics, modelfile
from .data import load_subset
from .lessons import LESSONS
from .npzfile import FormatError
from .pngfile import read_png
from .preprocess import to_mnist
from .train import RECIPES, Settings, SettingsError, Trainer


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pycore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train a network on the MNIST subset")
    train.add_argument("--recipe", choices=sorted(RECIPES), help="start from a named recipe")
    train.add_argument(
        "--hidden", "--layers", dest="hidden", help="hidden layer sizes, e.g. 128 or 256,128"
    )
    train.add_argument("--activation", help="hidden activation: relu, sigmoid, tanh, identity")
    train.add_argument("--output", help="output activation: softmax, sigmoid, identity")
    train.add_argument("--loss", help="cross_entropy or mse")
    train.add_argument("--init", help="initialiser: he, xavier, normal, uniform")
    train.add_argument("--optimizer", "--optimiser", dest="optimizer", help="sgd, momentum or adam")
    train.add_argument("--lr", "--learning-rate", dest="lr", help="learning rate")
    train.add_argument("--lr-decay", dest="lr_decay", help="learning rate factor after each epoch")
    train.add_argument(
        "--lr-schedule", dest="lr_schedule", help="exponential (by --lr-decay) or cosine"
    )
    train.add_argument("--ema", help="weight averaging factor, e.g. 0.999 (0 = off)")
    train.add_argument("--batch-size", dest="batch_size", help="examples per step")
    train.add_argument("--epochs", help="passes over the 8,000 training digits")
    train.add_argument("--seed", help="seed for initialisation, shuffling and augmentation")
    train.add_argument("--dtype", help="float32 (default) or float64")
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random small rotations, shifts and scaling of training digits",
    )
    train.add_argument("--rotation", help="augmentation: largest rotation in degrees")
    train.add_argument("--shift", help="augmentation: largest shift in pixels")
    train.add_argument("--scale", help="augmentation: largest relative change of size")
    train.add_argument("--elastic", help="augmentation: largest elastic displacement in pixels")
    train.add_argument("--data", type=Path, help="digit subset file (default: the built site's)")
    train.add_argument("--out", type=Path, help="write the trained model here (.npz)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

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
    for key in (
        "hidden",
        "activation",
        "output",
        "loss",
        "init",
        "optimizer",
        "lr",
        "lr_decay",
        "lr_schedule",
        "ema",
        "batch_size",
        "epochs",
        "seed",
        "dtype",
        "augment",
        "rotation",
        "shift",
        "scale",
        "elastic",
    ):
        value = getattr(args, key)
        if value is not None:
            values[key] = value
    return Settings.from_dict(values)


def cmd_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        settings = _settings(args)
    except SettingsError as error:
        parser.error(f"--{error.field.replace('_', '-')}: {error.message}")
    subset = load_subset(args.data)
    net = settings.build()
    trainer = Trainer(
        net,
        settings,
        subset.train.images(),
        subset.train.labels,
        (subset.test.images(), subset.test.labels),
    )
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
    acc = trainer.evaluate()
    seconds = trainer.seconds
    print(
        f"trained in {seconds:.1f}s ({trainer.examples_seen / max(seconds, 1e-9):,.0f} examples/s)"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        training = {**settings.to_dict(), "seconds": round(seconds, 1)}
        modelfile.save(net, args.out, training, {"test_accuracy": acc})
        print(f"wrote {args.out}")
    print(f"test accuracy: {acc:.4f}")
    return 1 if trainer.diverged else 0


def _load_model(path: Path):
    try:
        return modelfile.load(path)
    except modelfile.ModelFileError as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        sys.exit(1)


def cmd_evaluate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    net, meta = _load_model(args.model)
    subset = load_subset(args.data)
    probs = net.predict_proba(subset.test.images(net.dtype.type))
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
    data = path.read_bytes()
    if path.suffix.lower() == ".npy":
        import io

        image = np.load(io.BytesIO(data), allow_pickle=False).astype(np.float64)
        image = image.reshape(28, 28) if image.size == 784 else image
        return image / 255 if image.max() > 1 else image
    return read_png(data)


def cmd_predict(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    net, _ = _load_model(args.model)
    try:
        image = _read_image(args.image)
    except (OSError, ValueError) as error:
        print(f"error: {args.image}: {error}", file=sys.stderr)
        return 1
    if image.ndim != 2:
        print(
            f"error: {args.image}: expected a 2-D image, got shape {image.shape}", file=sys.stderr
        )
        return 1
    x = image.reshape(-1).astype(np.float32) if image.shape == (28, 28) else to_mnist(image)
    if x is None:
        print("the image is empty: no ink found", file=sys.stderr)
        return 1
    probs = net.predict_proba(x[None, :])[0]
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
    kwargs = {"subset": load_subset(args.data)} if args.name == "mnist-784-10-10" else {}

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
        return COMMANDS[args.command](args, parser)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
