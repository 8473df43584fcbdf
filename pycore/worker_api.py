"""The one facade the page's Web Worker calls: plain data in, plain data out.

The worker creates one :class:`App` with :func:`make_app` (the bytes of the digit file and the
model file), then calls its methods by name through :func:`call`, which only calls the methods
listed in :data:`COMMANDS`. Every result is a dict of numbers, strings, lists and *flat*
float32/uint8 arrays (Pyodide copies a 1-D array into a TypedArray; deeper ones would become
slow nested JS arrays), with shapes given beside them. Errors are exceptions whose message is
written for a person; :func:`call` shapes them into ``{"ok": False, "error": ...}``. Nothing
here imports the browser runtime.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import __version__, lessons, metrics
from . import settings as table
from .data import subset_from_bytes
from .finetune import FINETUNE_DEFAULTS, FineTune, mnist_accuracy
from .kernels import KERNEL_NAME
from .lessons import LESSONS
from .modelfile import from_bytes_model, to_bytes_model
from .network import Network
from .optim import SGD
from .preprocess import to_mnist
from .stepthrough import steps
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


class App:
    """The state of one page: the digits, the current network and its training run."""

    def __init__(self, data, model):
        self.subset = subset_from_bytes(_bytes(data))
        self.train_x = self.subset.train.images()
        self.test_x = self.subset.test.images()
        self.default_model = _bytes(model)
        self.net, self.meta = from_bytes_model(self.default_model)
        self.trainer: Trainer | None = None
        self.finetune: FineTune | None = None

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
            "data": {"train": len(self.subset.train), "test": len(self.subset.test)},
            "catalog": catalog(),
        }

    def model_info(self) -> dict:
        return {
            "sizes": self.net.sizes,
            "activations": self.net.activations,
            "loss": self.net.loss.name,
            "dtype": str(self.net.dtype),
            "test_accuracy": self.meta.get("metrics", {}).get("test_accuracy"),
            "training": self.meta.get("training", {}),
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
                "ms": (time.perf_counter() - start) * 1000,
            }
        probs = self.net.predict_proba(image[None, :])[0]
        return {
            "empty": False,
            "digit": int(np.argmax(probs)),
            "probs": _flat(probs),
            "image": _flat(image),
            "ms": (time.perf_counter() - start) * 1000,
        }

    def classify(self, image) -> dict:
        """Probabilities for a ready 28x28 image (784 values in [0, 1])."""
        x = _array(image).astype(np.float32)
        if x.size != 784:
            raise ValueError("an image must have 784 pixels")
        probs = self.net.predict_proba(x[None, :])[0]
        return {"digit": int(np.argmax(probs)), "probs": _flat(probs)}

    def test_digit(self, index: int) -> dict:
        """A held-out digit by index (wrapping), with its label."""
        count = len(self.subset.test)
        index = int(index) % count
        return {
            "index": index,
            "label": int(self.subset.test.labels[index]),
            "image": _flat(self.test_x[index]),
            "count": count,
        }

    # --- model files ------------------------------------------------------------------------
    def load_model(self, data) -> dict:
        """Replace the network with the one in ``data``; a bad file raises and changes nothing."""
        net, meta = from_bytes_model(_bytes(data))
        self.net, self.meta, self.trainer = net, meta, None
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
        net = s.build() if fresh else self.net
        self.trainer = Trainer(
            net, s, self.train_x, self.subset.train.labels, (self.test_x, self.subset.test.labels)
        )
        self.net = net
        self.meta = {"training": s.to_dict(), "metrics": {}}
        return {
            "settings": s.to_dict(),
            "total_steps": self.trainer.total_steps,
            "batches_per_epoch": self.trainer.batches_per_epoch,
            "model": self.model_info(),
        }

    def train_slice(self, max_seconds: float = 0.1, max_batches: int | None = None) -> dict:
        """Train for about ``max_seconds`` (or ``max_batches``); returns the slice's progress."""
        if self.trainer is None:
            raise RuntimeError("no training run has been started")
        progress = self.trainer.run(max_batches=max_batches, max_seconds=max_seconds)
        progress["losses"] = _flat(progress["losses"])
        if progress["test_accuracy"] is not None:
            self.meta["metrics"] = {"test_accuracy": progress["test_accuracy"]}
        return progress

    def evaluate(self, max_mistakes: int = 60) -> dict:
        """Accuracy, confusion matrix and the most confident mistakes on the held-out digits."""
        probs = self.net.predict_proba(self.test_x)
        labels = self.subset.test.labels
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
        W = self.net.layers[int(layer)].W
        return {"shape": list(W.shape), "data": _flat(W)}

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
        result = lesson.run(**({"subset": self.subset} if lesson.uses_digits else {}))
        return {k: v for k, v in result.items() if k != "network"}

    def trace_lesson(self, name: str, sample: int = 0, lr: float = 0.1) -> dict:
        """The step-through of one training step of a lesson's tiny network on ``sample``.

        Each lesson says what it steps through (:meth:`pycore.lessons.Lesson.trace_input`).
        """
        net, x, y, about = self._lesson(name).trace_input(int(sample), self.subset)
        return self._trace(net, x, y, lr, about)

    def trace_digit(
        self,
        index: int | None = None,
        pixels=None,
        width: int = 0,
        height: int = 0,
        label: int | None = None,
        lr: float | None = None,
        loss: str | None = None,
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
            net = Network(net.layers, loss)
        about = {"sample": what, "label": target, "index": None if pixels is not None else index}
        return self._trace(net, image[None, :], np.array([target]), lr, about)

    def _trace(self, net, x, y, lr, about: dict) -> dict:
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
            "loss_name": trace["loss_name"],
            "lr": lr,
            "loss": trace["loss"],
            "loss_after": trace["loss_after"],
            "dtype": str(np.dtype(dtype)),
            "tensors": payload,
            "steps": steps(trace, net, optimizer),
        }

    # --- my digits, fine-tuning, the self-check, persistence -------------------------------
    # The page keeps "my digits" (IndexedDB) and passes them in: ``pixels`` is N*784 uint8 values
    # row by row (the 28x28 images ``predict`` returned, times 255), ``labels`` N uint8 digits.
    def _mnist_accuracy(self) -> float:
        return mnist_accuracy(self.net, self.test_x, self.subset.test.labels)

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
            "mnist_accuracy": self._mnist_accuracy(),
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
        run = FineTune(
            self.net,
            own_pixels,
            own_labels,
            (self.train_x, self.subset.train.labels),
            (self.test_x, self.subset.test.labels),
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
        """Accuracy before and after the last fine-tune: own held-out and learned digits, MNIST."""
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

        n = min(len(self.test_x), 64)
        return selfcheck.run(
            self.net,
            self.test_x[:n],
            self.subset.test.labels[:n],
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
    }
)
"""The App methods the worker may call, and nothing else: a name never reaches getattr unchecked."""

MAX_MESSAGE = 300
"""Longest error message passed to the page, in characters."""

OUT_OF_MEMORY = "Out of memory: try a smaller network or batch."


def make_app(data, model) -> App:
    """The page's :class:`App` from the bytes of the digit file and the model file.

    Each may be a Pyodide JsProxy of a typed array, or bytes.
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
