"""The one facade the page's Web Worker calls: plain data in, plain data out.

The worker creates one :class:`App` with :func:`make_app` (the bytes of the digit file and the
model file; the digits may come later, through :meth:`App.attach_data`, so that a drawing is
answered before they are loaded), then calls its methods by name through :func:`call`, which only
calls the methods listed in :data:`COMMANDS`. Every result is a dict of numbers, strings, lists
and *flat* float32/uint8 arrays (float64 where a result must equal the CLI's to the bit; Pyodide
copies a 1-D array into a TypedArray, deeper ones would become slow nested JS arrays), with
shapes given beside them. Errors are exceptions whose message is written for a person;
:func:`call` shapes them into ``{"ok": False, "error": ...}``. Nothing here imports the browser
runtime.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import __version__, lesson_cnn, lessons, metrics
from . import settings as table
from .data import subset_from_bytes
from .finetune import FINETUNE_DEFAULTS, FineTune, mnist_accuracy
from .kernels import KERNEL_NAME
from .lessons import LESSONS
from .lessontrain import COURSES as TRAINABLE
from .lessontrain import LessonRun, course
from .losses import LOSSES
from .modelfile import DIGITS, from_bytes_model, to_bytes_model
from .network import Network
from .optim import SGD
from .preprocess import to_mnist
from .train import Settings, SettingsError, Trainer


def _array(value) -> np.ndarray:
    """A typed array from the page (a JsProxy, memoryview or bytes) as a flat NumPy array."""
    if hasattr(value, "to_py"):
        value = value.to_py()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return np.asarray(memoryview(value)).reshape(-1)
    return np.asarray(value).reshape(-1)


def _bytes(value) -> bytes:
    if hasattr(value, "to_py"):
        value = value.to_py()
    return bytes(value)


def _flat(a: np.ndarray, dtype=np.float32) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


LOADING = "The digits are still loading; try again in a moment."
"""What a method that needs the digits says before :meth:`App.attach_data`."""


# The rate each lesson trains with, for a step-through that does not name one.
LESSON_LR = {"cnn": lesson_cnn.LR}


class App:
    """The state of one page: the digits, the current network and its training run.

    ``data`` may be None: drawing, classifying and loading models work at once, and whatever
    needs the digits raises :data:`LOADING` until :meth:`attach_data`. A model's held-out
    accuracy is always measured here, never taken from its file (that one is kept as
    ``claimed_accuracy``); without the digits it is measured when they arrive.
    """

    def __init__(self, data, model):
        self.subset = None
        self.train_x = self.test_x = None
        self.default_model = _bytes(model)
        self.net, self.meta = from_bytes_model(self.default_model, expect=DIGITS)
        self.claimed = self._claim()
        self.trainer: Trainer | None = None
        self.finetune: FineTune | None = None
        self.lesson_runs: dict[str, LessonRun] = {}
        self._measuring: dict | None = None
        if data is not None:
            self.attach_data(data)

    def attach_data(self, data, measure: bool = True) -> dict:
        """Take the digit file's bytes; measures the current network on the held-out digits.

        With ``measure`` false the measuring is left to :meth:`measure_slice`, a few digits at a
        time (a CNN needs seconds for all 2,000 in the browser, and a drawing goes first).
        Returns ``{"train", "test", "model"}``: the counts and :meth:`model_info`.
        """
        subset = subset_from_bytes(_bytes(data))
        self.subset, self.train_x, self.test_x = subset, subset.train.images(), subset.test.images()
        self._measuring = None
        if self.trainer is None:
            if measure:
                self._measure()
            else:
                self._measuring = {"net": self.net, "next": 0, "right": 0}
        return {"train": len(subset.train), "test": len(subset.test), "model": self.model_info()}

    def measure_slice(self, max_seconds: float = 0.06, chunk: int = 25) -> dict:
        """Measure the network in use on the next held-out digits, for about ``max_seconds``.

        Returns ``{"done": False, "measured": n}`` while digits remain, then ``{"done": True,
        "model": model_info()}`` with the held-out accuracy in it (the same number
        :meth:`attach_data` would have measured at once). A network replaced or trained in the
        meantime ends the measuring: whoever replaced it measured it.
        """
        m = self._measuring
        if m is None or m["net"] is not self.net or self.trainer is not None:
            self._measuring = None
            return {"done": True, "model": self.model_info()}
        labels = self._digits().test.labels
        start = time.perf_counter()
        while m["next"] < len(labels):  # at least one chunk per slice
            rows = slice(m["next"], m["next"] + int(chunk))
            m["right"] += int(np.sum(self.net.predict(self.test_x[rows]) == labels[rows]))
            m["next"] = min(rows.stop, len(labels))
            if time.perf_counter() - start >= max_seconds:
                break
        if m["next"] < len(labels):
            return {"done": False, "measured": m["next"]}
        self._measuring = None
        accuracy = m["right"] / len(labels) if len(labels) else None
        if accuracy is not None:
            self.meta.setdefault("metrics", {})["test_accuracy"] = accuracy
        return {"done": True, "model": self.model_info()}

    def _digits(self):
        """The digit subset, or the :data:`LOADING` error while it has not arrived."""
        if self.subset is None:
            raise RuntimeError(LOADING)
        return self.subset

    def _claim(self) -> float | None:
        """The file's own test accuracy (kept for information), and clear it from ``meta``."""
        claimed = self.meta.setdefault("metrics", {}).pop("test_accuracy", None)
        return claimed if isinstance(claimed, (int, float)) else None

    def _measure(self) -> None:
        """Put the measured held-out accuracy of the current network into ``meta``."""
        if self.subset is not None and len(self.subset.test):
            self.meta.setdefault("metrics", {})["test_accuracy"] = self._mnist_accuracy()

    # --- about ------------------------------------------------------------------------------
    def info(self) -> dict:
        return {
            "versions": {
                "python": sys.version.split()[0],
                "numpy": np.__version__,
                "pycore": __version__,
                "kernel": KERNEL_NAME,
            },
            "model": self.model_info(),
            "data": None
            if self.subset is None
            else {"train": len(self.subset.train), "test": len(self.subset.test)},
            "catalog": catalog(),
        }

    def model_info(self) -> dict:
        return {
            "sizes": self.net.sizes,
            "activations": self.net.activations,
            "layers": [
                {**d, "output_shape": list(shape)}
                for d, shape in zip(self.net.describe(), self.net.shapes[1:], strict=True)
            ],
            "input_shape": list(self.net.input_shape),
            "loss": self.net.loss.name,
            "dtype": str(self.net.dtype),
            "test_accuracy": self.meta.get("metrics", {}).get("test_accuracy"),
            "claimed_accuracy": self.claimed,
            "training": self.meta.get("training", {}),
            "steps_trained": None if self.trainer is None else self.trainer.step,
            "finite": all(bool(np.all(np.isfinite(p))) for p in self.net.parameters().values()),
        }

    # --- drawing -------------------------------------------------------------------------------
    def predict(self, pixels, width: int, height: int) -> dict:
        """Classify a drawing: ``pixels`` is the canvas ink, row by row (0..255, 255 = ink)."""
        start = time.perf_counter()
        ink = _array(pixels)
        if ink.size != int(width) * int(height):
            raise ValueError(f"the drawing has {ink.size} pixels, not {width}x{height}")
        image = to_mnist(ink.reshape(int(height), int(width)))
        if image is None:
            return {
                "empty": True,
                "digit": -1,
                "probs": np.zeros(10, np.float32),
                "image": np.zeros(784, np.float32),
                **self._feature_maps(None),
                "ms": (time.perf_counter() - start) * 1000,
            }
        outputs = self.net.layer_outputs(image[None, :])
        probs = outputs[-1][0]
        return {
            "empty": False,
            "digit": int(np.argmax(probs)),
            "probs": _flat(probs),
            "image": _flat(image),
            **self._feature_maps(outputs),
            "ms": (time.perf_counter() - start) * 1000,
        }

    def _feature_maps(self, outputs: list[np.ndarray] | None) -> dict:
        """For a CNN, its first convolution's feature maps (after the activation) for one image:
        ``feature_maps`` flat float32 and ``feature_shape`` [C, H, W] (zeros for ``outputs``
        None, an empty canvas). An MLP has none: ``{}``."""
        kinds = [getattr(layer, "kind", "") for layer in self.net.layers]
        if "conv2d" not in kinds:
            return {}
        index = kinds.index("conv2d")
        shape = self.net.shapes[index + 1]
        maps = np.zeros(shape, np.float32) if outputs is None else outputs[index][0]
        return {"feature_maps": _flat(maps), "feature_shape": list(shape)}

    def classify(self, image) -> dict:
        """Probabilities for a ready 28x28 image (784 values in [0, 1])."""
        x = _array(image).astype(np.float32)
        if x.size != 784:
            raise ValueError("an image must have 784 pixels")
        probs = self.net.predict_proba(x[None, :])[0]
        return {"digit": int(np.argmax(probs)), "probs": _flat(probs)}

    def test_digit(self, index: int) -> dict:
        """A held-out digit by index (wrapping), with its label."""
        test = self._digits().test
        count = len(test)
        index = int(index) % count
        return {
            "index": index,
            "label": int(test.labels[index]),
            "image": _flat(self.test_x[index]),
            "count": count,
        }

    # --- model files ------------------------------------------------------------------------
    def load_model(self, data) -> dict:
        """Replace the network with the one in ``data``; a bad file raises and changes nothing.

        A network that does not read 28x28 digits into ten scores is refused. Its held-out
        accuracy is measured now (or when the digits arrive), never read from the file.
        """
        net, meta = from_bytes_model(_bytes(data), expect=DIGITS)
        self.net, self.meta, self.trainer, self.finetune = net, meta, None, None
        self.claimed = self._claim()
        self._measure()
        return self.model_info()

    def reset_model(self) -> dict:
        return self.load_model(self.default_model)

    def export_model(self) -> bytes:
        settings = (
            self.trainer.settings.to_dict() if self.trainer else self.meta.get("training", {})
        )
        return to_bytes_model(self.net, settings, self.meta.get("metrics", {}))

    # --- training ---------------------------------------------------------------------------
    def start_training(self, settings: dict, fresh: bool = True) -> dict:
        """Check ``settings`` and prepare a run (a fresh network unless ``fresh`` is false).

        Raises :class:`pycore.train.SettingsError` naming the bad field.
        """
        if hasattr(settings, "to_py"):
            settings = settings.to_py()
        s = Settings.from_dict(dict(settings))
        subset = self._digits()
        net = s.build() if fresh else self.net
        self.trainer = Trainer(
            net, s, self.train_x, subset.train.labels, (self.test_x, subset.test.labels)
        )
        self.net = net
        self.meta = {"training": s.to_dict(), "metrics": {}}
        self.claimed = None
        return {
            "settings": s.to_dict(),
            "total_steps": self.trainer.total_steps,
            "batches_per_epoch": self.trainer.batches_per_epoch,
            "model": self.model_info(),
        }

    def train_slice(self, max_seconds: float = 0.1, max_batches: int | None = None) -> dict:
        """Train for about ``max_seconds`` (or ``max_batches``); returns the slice's progress.

        See :meth:`pycore.train.Trainer.run`: ``losses`` (flat float32, one per batch),
        ``epochs`` (the epochs that ended in this slice: ``{"epoch", "step", "loss",
        "train_accuracy", "test_accuracy"}``, the same for a seed however the run is sliced)
        and, once the run ended, ``verdict`` (:mod:`pycore.verdict`).
        """
        if self.trainer is None:
            raise RuntimeError("no training run has been started")
        progress = self.trainer.run(max_batches=max_batches, max_seconds=max_seconds)
        progress["losses"] = _flat(progress["losses"])
        if progress["test_accuracy"] is not None:
            self.meta["metrics"] = {"test_accuracy": progress["test_accuracy"]}
        return progress

    def evaluate(self, max_mistakes: int = 60) -> dict:
        """Accuracy, confusion matrix and the most confident mistakes on the held-out digits."""
        labels = self._digits().test.labels
        probs = self.net.predict_proba(self.test_x)
        report = metrics.report(probs, labels)
        wrong = metrics.misclassified(probs, labels)
        self.meta.setdefault("metrics", {})["test_accuracy"] = report["accuracy"]
        predicted = np.argmax(probs, axis=1)
        return {
            "accuracy": report["accuracy"],
            "confusion": _flat(report["confusion"], np.int32),
            "per_class": _flat(report["per_class"]),
            "predicted": _flat(predicted, np.uint8),
            "labels": _flat(labels, np.uint8),
            "mistakes": {
                "index": _flat(wrong["index"][:max_mistakes], np.int32),
                "label": _flat(wrong["label"][:max_mistakes], np.uint8),
                "predicted": _flat(wrong["predicted"][:max_mistakes], np.uint8),
                "probs": _flat(wrong["probs"][:max_mistakes]),
                "count": int(wrong["index"].size),
            },
        }

    def weights(self, layer: int = 0) -> dict:
        """One layer's weight matrix, flat, with its shape (row j = unit j's incoming weights)."""
        chosen = self.net.layers[int(layer)]
        if not chosen.params:
            raise ValueError(f"layer {int(layer)} ({chosen}) has no weights")
        # A convolution's filters: shape (c_out, c_in, k, k), filter c = data[c*c_in*k*k:...].
        W = chosen.W
        return {"shape": list(W.shape), "data": _flat(W), "kind": chosen.kind}

    # --- lessons and the step-through -------------------------------------------------------
    def lessons(self) -> list[dict]:
        """The lessons as the page lists them (the same as ``info()["catalog"]["lessons"]``)."""
        return lessons.catalog()

    def _lesson(self, name: str) -> lessons.Lesson:
        if name not in LESSONS:
            raise ValueError(f"there is no lesson called {name!r}")
        return LESSONS[name]

    def run_lesson(self, name: str) -> dict:
        """Run a lesson and return its printed lines and numbers (no network objects)."""
        lesson = self._lesson(name)
        result = lesson.run(**({"subset": self._digits()} if lesson.uses_digits else {}))
        return {k: v for k, v in result.items() if k != "network"}

    def trace_lesson(
        self,
        name: str,
        sample: int = 0,
        lr: float | None = None,
        epoch: int | None = None,
        position: list[int] | None = None,
    ) -> dict:
        """The step-through of one training step of a lesson's tiny network on ``sample``.

        Each lesson says what it steps through (:meth:`pycore.lessons.Lesson.trace_input`).
        With ``epoch`` (1-based, for a lesson that trains, see :meth:`train_lesson`), the step
        is the one on ``sample`` in that epoch of the training: the last ``train_lesson`` of
        this lesson, or one with its default settings; it is replayed, never changed, and ``lr``
        is that training's. ``lr`` defaults to the lesson's training rate (else 0.1).
        """
        lesson = self._lesson(name)
        if epoch is not None:
            run = self.lesson_runs.get(name) or LessonRun(name)
            net, x, y, about = run.replay(int(epoch), int(sample))
            return self._trace(net, x, y, run.lr, about, position)
        if lr is None:
            lr = course(name).lr if name in TRAINABLE else LESSON_LR.get(name, 0.1)
        subset = self._digits() if lesson.uses_digits else None
        net, x, y, about = lesson.trace_input(int(sample), subset)
        return self._trace(net, x, y, lr, about, position)

    def train_lesson(
        self,
        name: str,
        epochs: int | None = None,
        lr: float | None = None,
        seed: int | None = None,
        every: int = 1,
        max_seconds: float | None = None,
    ) -> dict:
        """Train a lesson's network for many epochs of per-sample SGD, as the text does.

        ``weight-height``, ``network`` or ``neuron`` (:mod:`pycore.lessontrain`); ``epochs``,
        ``lr`` and ``seed`` default to the lesson's (weight-height: 1000, 0.1, seed 0, the
        numbers of ``python -m pycore lesson weight-height``). The loss over all samples is
        reported after epoch 1, every ``every`` epochs and after the last. With
        ``max_seconds``, only a slice is trained: call :meth:`continue_lesson` for the rest.
        The trained network is kept for :meth:`lesson_predict` and ``trace_lesson(epoch=...)``.
        """
        run = LessonRun(name, epochs=epochs, lr=lr, seed=seed, every=every)
        self.lesson_runs[name] = run
        return self._lesson_slice(run, max_seconds)

    def continue_lesson(self, name: str, max_seconds: float | None = None) -> dict:
        """Train the lesson's kept run further (see :meth:`train_lesson`)."""
        run = self._lesson_run(name)
        return self._lesson_slice(run, max_seconds)

    def lesson_predict(self, name: str, inputs) -> dict:
        """The trained lesson network's output for ``inputs`` (flat: n_in numbers per input).

        Returns ``{"outputs"}`` (flat float64) and, for weight-height, ``labels`` ("F" above
        0.5, else "M").
        """
        run = self._lesson_run(name)
        outputs = run.predict(_array(inputs))
        result = {"outputs": _flat(outputs, np.float64), "epoch": run.epoch}
        if name == "weight-height":
            result["labels"] = ["F" if p > 0.5 else "M" for p in outputs.tolist()]
        return result

    def _lesson_run(self, name: str) -> LessonRun:
        if name not in self.lesson_runs:
            raise ValueError(f"train the lesson {name!r} first")
        return self.lesson_runs[name]

    def _lesson_slice(self, run: LessonRun, max_seconds: float | None) -> dict:
        result = run.run(max_seconds=None if max_seconds is None else float(max_seconds))
        result["epochs"] = _flat(result["epochs"], np.int32)
        result["losses"] = _flat(result["losses"], np.float64)
        return result

    def trace_digit(
        self,
        index: int | None = None,
        pixels=None,
        width: int = 0,
        height: int = 0,
        label: int | None = None,
        lr: float | None = None,
        loss: str | None = None,
        position: list[int] | None = None,
    ) -> dict:
        """The step-through of one SGD step of (a copy of) the current network on one digit.

        The digit is a held-out one (``index``) or a drawing (``pixels``, with the label to
        learn, default: the network's own prediction). ``lr`` defaults to the current settings'.
        ``loss`` (``mse`` or ``cross_entropy``) replaces the network's loss for this step.
        """
        if pixels is not None:
            image = to_mnist(_array(pixels).reshape(int(height), int(width)))
            if image is None:
                raise ValueError("the canvas is empty: draw a digit first")
            target = int(label) if label is not None else int(self.net.predict(image[None, :])[0])
            what = f"your drawing, labelled {target}"
        else:
            digit = self.test_digit(0 if index is None else index)
            image, target = digit["image"], digit["label"]
            what = f"held-out digit #{digit['index']}, a {target}"
            index = digit["index"]
        if lr is None:
            lr = float(self.meta.get("training", {}).get("lr", 0.1))
        net = self.net.copy()
        if loss is not None and loss != net.loss.name:
            net = Network(net.layers, loss, net.input_shape)
        about = {"sample": what, "label": target, "index": None if pixels is not None else index}
        return self._trace(net, image[None, :], np.array([target]), lr, about, position)

    def _trace(self, net, x, y, lr, about: dict, position=None) -> dict:
        """The trace and steps of one SGD step; ``position`` ``(c, i, j)`` picks the output of
        the first convolution whose numbers a CNN's steps show (see :func:`steps`).
        """
        from . import stepthrough  # with its source reader, on the first step-through only

        optimizer = SGD(lr)
        trace = net.trace_step(x, y, optimizer)
        if not trace.get("finite", True):
            raise ValueError("the loss of this sample is not a finite number")
        dtype = np.float64 if net.dtype == np.float64 else np.float32
        tensors = {"x": trace["x"], "y": trace["y"]}
        for part in ("forward", "backward", "update"):
            for i, values in enumerate(trace[part]):
                for key, value in values.items():
                    tensors[f"{part}.{i}.{key}"] = value
        payload = {
            name: {"shape": list(np.shape(v)), "data": _flat(v, dtype)}
            for name, v in tensors.items()
        }
        for name in ("loss", "loss_after"):
            payload[name] = {"shape": [], "data": np.array([trace[name]], dtype=dtype)}
        return {
            **about,
            "sizes": trace["sizes"],
            "activations": trace["activations"],
            "layers": trace["layers"],
            "input_shape": trace["input_shape"],
            "loss_name": trace["loss_name"],
            "loss_label": LOSSES[trace["loss_name"]].label,
            "lr": lr,
            "loss": trace["loss"],
            "loss_after": trace["loss_after"],
            "dtype": str(np.dtype(dtype)),
            "tensors": payload,
            "steps": stepthrough.steps(trace, net, optimizer, position),
        }

    # --- my digits, fine-tuning, the self-check, persistence -------------------------------
    # The page keeps "my digits" (IndexedDB) and passes them in: ``pixels`` is N*784 uint8 values
    # row by row (the 28x28 images ``predict`` returned, times 255), ``labels`` N uint8 digits.
    def _mnist_accuracy(self) -> float:
        return mnist_accuracy(self.net, self.test_x, self._digits().test.labels)

    def _own(self, pixels, labels) -> tuple[np.ndarray, np.ndarray]:
        from .mydigits import check

        return check(_array(pixels), _array(labels))

    def my_digits_accuracy(self, pixels, labels) -> dict:
        """The current network on my digits (each one's prediction) and on the MNIST test split."""
        own_pixels, own_labels = self._own(pixels, labels)
        probs = self.net.predict_proba(own_pixels.astype(self.net.dtype) / 255)
        predicted = np.argmax(probs, axis=1) if len(own_labels) else np.zeros(0, np.intp)
        return {
            "count": int(own_labels.size),
            "correct": int(np.sum(predicted == own_labels)),
            "accuracy": metrics.accuracy(predicted, own_labels) if own_labels.size else None,
            "predicted": _flat(predicted, np.uint8),
            "confidence": _flat(np.max(probs, axis=1) if len(own_labels) else np.zeros(0)),
            "mnist_accuracy": None if self.subset is None else self._mnist_accuracy(),
        }

    def start_finetune(
        self,
        pixels,
        labels,
        mnist_share: float = FINETUNE_DEFAULTS["mnist_share"],
        epochs: int = FINETUNE_DEFAULTS["epochs"],
        seed: int = FINETUNE_DEFAULTS["seed"],
        holdout: float = FINETUNE_DEFAULTS["holdout"],
        lr: float = FINETUNE_DEFAULTS["lr"],
        batch_size: int = FINETUNE_DEFAULTS["batch_size"],
    ) -> dict:
        """Prepare a run that goes on training the *current* network on my digits and MNIST.

        See :class:`pycore.finetune.FineTune`. The run then goes through ``train_slice`` like
        any other; :meth:`finetune_result` compares before and after.
        """
        own_pixels, own_labels = self._own(pixels, labels)
        subset = self._digits()
        run = FineTune(
            self.net,
            own_pixels,
            own_labels,
            (self.train_x, subset.train.labels),
            (self.test_x, subset.test.labels),
            mnist_share=mnist_share,
            epochs=epochs,
            seed=seed,
            holdout=holdout,
            lr=lr,
            batch_size=batch_size,
        )
        self.finetune, self.trainer = run, run.trainer
        s = run.settings
        self.meta = {"training": s.to_dict(), "metrics": {"test_accuracy": run.before["mnist"]}}
        self.claimed = None
        return {
            "settings": s.to_dict(),
            "total_steps": self.trainer.total_steps,
            "batches_per_epoch": self.trainer.batches_per_epoch,
            "model": self.model_info(),
            "counts": run.counts,
            "held_out_index": _flat(run.held_index, np.int32),
            "before": run.before,
        }

    def finetune_result(self) -> dict:
        """Accuracy before and after the last fine-tune: own held-out and learned digits, MNIST.

        Also ``counts`` (with ``held_out_per_digit`` and ``learn_per_digit``, ten numbers each)
        and ``verdict``: ``{"kind", "sentence", "held_out", "digits", "held_out_per_digit"}``,
        where ``kind`` is ``too_few`` below the evidence threshold (see :mod:`pycore.finetune`).
        """
        if self.finetune is None or self.finetune.trainer is not self.trainer:
            raise RuntimeError("there is no fine-tune run to report on: start one first")
        return self.finetune.result()

    def export_collection(self, pixels, labels, seed: int = 0, holdout: float = 0.2) -> bytes:
        """My digits as a digit file in the bundled subset's format (held-out split as ``test``)."""
        from .mydigits import collection_to_bytes

        own_pixels, own_labels = self._own(pixels, labels)
        return collection_to_bytes(own_pixels, own_labels, float(holdout), int(seed))

    def import_collection(self, data) -> dict:
        """The digits of a digit file (train split, then test split); a bad file raises."""
        from .mydigits import collection_from_bytes

        pixels, labels = collection_from_bytes(_bytes(data))
        return {
            "count": int(labels.size),
            "pixels": _flat(pixels, np.uint8),
            "labels": _flat(labels, np.uint8),
        }

    def self_check(self, corrupt: str | None = None, samples: int = 4, entries: int = 24) -> dict:
        """Gradient check of the current network on held-out digits, and the lessons' numbers.

        ``corrupt`` names a parameter tensor whose backprop gradient is deliberately scaled
        before the comparison: a test hook (the page passes it only when opened with
        ``?testhooks=1``), so a test can see the check fail.
        """
        from . import selfcheck

        labels = self._digits().test.labels
        n = min(len(self.test_x), 64)
        return selfcheck.run(
            self.net,
            self.test_x[:n],
            labels[:n],
            samples=int(samples),
            entries=int(entries),
            corrupt=corrupt or None,
        )

    def model_snapshot(self) -> dict:
        """The current model's file bytes, and whether it is still the pretrained one."""
        default = from_bytes_model(self.default_model)[0].parameters()
        mine = self.net.parameters()
        same = mine.keys() == default.keys() and all(
            np.array_equal(p, default[k]) for k, p in mine.items()
        )
        return {"bytes": self.export_model(), "default": bool(same), "model": self.model_info()}


def catalog() -> dict:
    """Everything the page lists or starts from, so that pycore is the one place it is written:
    the settings (in the form's order), the recipes, the lessons, the fine-tune defaults and what
    a person calls each activation, loss, optimiser and initialiser.
    """
    return {
        "settings": table.schema(),
        "recipes": table.recipes(),
        "lessons": lessons.catalog(),
        "finetune": dict(FINETUNE_DEFAULTS),
        "names": table.names(),
    }


# --- the worker's entry points -------------------------------------------------------------------
COMMANDS = frozenset(
    {
        "info",
        "model_info",
        "predict",
        "classify",
        "test_digit",
        "load_model",
        "reset_model",
        "export_model",
        "start_training",
        "train_slice",
        "measure_slice",
        "evaluate",
        "weights",
        "lessons",
        "run_lesson",
        "trace_lesson",
        "trace_digit",
        "my_digits_accuracy",
        "start_finetune",
        "finetune_result",
        "export_collection",
        "import_collection",
        "self_check",
        "model_snapshot",
        "attach_data",
        "train_lesson",
        "continue_lesson",
        "lesson_predict",
    }
)
"""The App methods the worker may call, and nothing else: a name never reaches getattr unchecked."""

MAX_MESSAGE = 300
"""Longest error message passed to the page, in characters."""

OUT_OF_MEMORY = "Out of memory: try a smaller network or batch."


def make_app(data, model) -> App:
    """The page's :class:`App` from the bytes of the digit file and the model file.

    Each may be a Pyodide JsProxy of a typed array, or bytes; ``data`` may be None, and the
    digits given later to :meth:`App.attach_data`.
    """
    return App(data, model)


def _message(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1].rstrip() + "…"


def call(app: App, method: str, kwargs=None) -> dict:
    """Call ``app.<method>(**kwargs)`` for the worker; never raises.

    ``kwargs`` is a dict, a Pyodide JsProxy of one (``.to_py()``) or None. Returns
    ``{"ok": True, "result": ...}`` or ``{"ok": False, "error": message}``: a
    :class:`~pycore.settings.SettingsError` adds ``field`` and ``message`` (the message without
    the field name), so the page can mark the field; an exception's own text, first letter
    capitalised and cut to :data:`MAX_MESSAGE` characters, otherwise; never a traceback.
    """
    if method not in COMMANDS:
        return {"ok": False, "error": f'The worker has no command called "{method}".'}
    try:
        kwargs = kwargs.to_py() if hasattr(kwargs, "to_py") else dict(kwargs or {})
        return {"ok": True, "result": getattr(app, method)(**kwargs)}
    except SettingsError as e:
        return {
            "ok": False,
            "error": _message(str(e)),
            "field": e.field,
            "message": _message(e.message),
        }
    except MemoryError:
        return {"ok": False, "error": OUT_OF_MEMORY}
    except Exception as e:  # every failure becomes a message for a person
        return {"ok": False, "error": _message(str(e) or type(e).__name__)}
