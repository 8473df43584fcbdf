"""The one facade the page's Web Worker calls: plain data in, plain data out.

The worker creates one :class:`App` with the bytes of the digit file and the model file, then
calls its methods by name from a fixed command table. Every result is a dict of numbers,
strings, lists and *flat* float32/uint8 arrays (Pyodide copies a 1-D array into a TypedArray;
deeper ones would become slow nested JS arrays), with shapes given beside them. Errors are
exceptions whose message is written for a person. Nothing here knows about JavaScript.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import __version__, metrics
from .data import subset_from_bytes
from .kernels import KERNEL_NAME
from .lessons import LESSONS, neuron_network, two_layer_network, weight_height_network
from .modelfile import from_bytes_model, to_bytes_model
from .network import Network
from .optim import SGD
from .preprocess import to_mnist
from .stepthrough import steps
from .train import Settings, Trainer


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
        return [
            {"name": n, "title": lesson.title, "summary": lesson.summary}
            for n, lesson in LESSONS.items()
        ]

    def run_lesson(self, name: str) -> dict:
        """Run a lesson and return its printed lines and numbers (no network objects)."""
        if name not in LESSONS:
            raise ValueError(f"there is no lesson called {name!r}")
        kwargs = {"subset": self.subset} if name == "mnist-784-10-10" else {}
        result = LESSONS[name].run(**kwargs)
        return {k: v for k, v in result.items() if k != "network"}

    def trace_lesson(self, name: str, sample: int = 0, lr: float = 0.1) -> dict:
        """The step-through of one training step of a lesson's tiny network.

        ``neuron`` and ``network`` use x = [2, 3] with target 1; ``weight-height`` uses one of the
        four people (``sample``; 0 = Alice) with every weight 1 and bias 0, as derived by hand.
        ``mse`` is one linear neuron that knows nothing yet (weight 0, bias 0, inputs 0), so it
        predicts 0 for the four people whose targets are [1, 0, 0, 1]: the lesson's loss of 0.5.
        ``mnist-784-10-10`` steps the lesson's fresh 784-10-10 network through held-out digit
        ``sample``.
        """
        if name == "neuron":
            net, x, y, label = neuron_network(), [[2.0, 3.0]], [[1.0]], "x = [2, 3], target 1"
        elif name == "network":
            net, x, y, label = two_layer_network(), [[2.0, 3.0]], [[1.0]], "x = [2, 3], target 1"
        elif name == "weight-height":
            from .lessons import GENDER, PEOPLE

            who = list(PEOPLE)[int(sample) % len(PEOPLE)]
            net = weight_height_network(seed=None)
            x, y = [PEOPLE[who]], [[float(GENDER[who])]]
            w, h = PEOPLE[who]
            label = f"{who}: weight-135 = {w}, height-66 = {h}, F = {GENDER[who]}"
        elif name == "mse":
            from .lessons import GENDER

            net = Network.build([1, 1], "identity", "mse", dtype=np.float64)
            net.layers[0].W[:] = 0
            x, y = [[0.0]] * len(GENDER), [[float(g)] for g in GENDER.values()]
            label = "four people, targets [1, 0, 0, 1]; the neuron predicts 0 for everyone"
        elif name == "mnist-784-10-10":
            from .lessons import mnist_784_10_10

            digit = self.test_digit(int(sample))
            about = {
                "lesson": name,
                "sample": f"held-out digit #{digit['index']}, a {digit['label']}",
                "label": digit["label"],
                "index": digit["index"],
            }
            x, y = digit["image"][None, :], np.array([digit["label"]])
            return self._trace(mnist_784_10_10(), x, y, lr, about)
        else:
            raise ValueError(f"the lesson {name!r} has no step-through")
        x, y = np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)
        return self._trace(net, x, y, lr, {"lesson": name, "sample": label})

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
        trace = net.train_step(x, y, optimizer, trace=True)
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
        predicted = np.concatenate(
            [self.net.predict(self.test_x[i : i + 500]) for i in range(0, len(self.test_x), 500)]
        )
        return metrics.accuracy(predicted, self.subset.test.labels)

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

    def _finetune_scores(self) -> dict:
        own = self._finetune
        score = lambda x, y: metrics.accuracy(self.net.predict(x), y) if y.size else None  # noqa: E731
        return {
            "held_out": score(own["held_x"], own["held_y"]),
            "learned": score(own["learn_x"], own["learn_y"]),
            "mnist": self._mnist_accuracy(),
        }

    def start_finetune(
        self,
        pixels,
        labels,
        mnist_share: float = 0.5,
        epochs: int = 5,
        seed: int = 0,
        holdout: float = 0.2,
        lr: float = 0.0005,
        batch_size: int = 16,
    ) -> dict:
        """Prepare a run that goes on training the *current* network on my digits and MNIST.

        About ``holdout`` of each digit's samples (chosen by ``seed``) are held out; the rest
        are mixed with MNIST training digits so that MNIST makes up ``mnist_share`` of the data.
        The run then goes through ``train_slice`` like any other, with the MNIST test split as
        its held-out digits; :meth:`finetune_result` compares before and after.
        """
        from .mydigits import holdout_split, mix_with_mnist

        own_pixels, own_labels = self._own(pixels, labels)
        try:
            share, hold = float(mnist_share), float(holdout)
        except (TypeError, ValueError):
            raise ValueError("the MNIST share and the held-out share must be numbers") from None
        learn, held = holdout_split(own_labels, hold, int(seed))
        if learn.size < 1:
            raise ValueError("draw and label some digits first: there is nothing to learn from")
        own_x = own_pixels.astype(self.net.dtype) / 255
        x, y, n_mnist = mix_with_mnist(
            own_x[learn], own_labels[learn], self.train_x, self.subset.train.labels, share, seed
        )
        net = self.net
        hidden = net.sizes[1:-1]
        s = Settings.from_dict(
            {
                "hidden": hidden,
                "activation": net.activations[0] if hidden else "relu",
                "output": net.activations[-1],
                "loss": net.loss.name,
                "optimizer": "adam",
                "lr": lr,
                "batch_size": batch_size,
                "epochs": epochs,
                "seed": seed,
                "dtype": str(net.dtype),
            }
        )
        self._finetune = {
            "learn_x": own_x[learn],
            "learn_y": own_labels[learn],
            "held_x": own_x[held],
            "held_y": own_labels[held],
        }
        before = self._finetune_scores()
        self.trainer = Trainer(net, s, x, y, (self.test_x, self.subset.test.labels))
        self._finetune["trainer"] = self.trainer
        self._finetune["before"] = before
        self.meta = {"training": s.to_dict(), "metrics": {"test_accuracy": before["mnist"]}}
        return {
            "settings": s.to_dict(),
            "total_steps": self.trainer.total_steps,
            "batches_per_epoch": self.trainer.batches_per_epoch,
            "model": self.model_info(),
            "counts": {"learn": int(learn.size), "held_out": int(held.size), "mnist": n_mnist},
            "held_out_index": _flat(held, np.int32),
            "before": before,
        }

    def finetune_result(self) -> dict:
        """Accuracy before and after the last fine-tune: own held-out and learned digits, MNIST."""
        own = getattr(self, "_finetune", None)
        if own is None or own.get("trainer") is not self.trainer:
            raise RuntimeError("there is no fine-tune run to report on: start one first")
        return {
            "before": own["before"],
            "after": self._finetune_scores(),
            "step": self.trainer.step,
            "total_steps": self.trainer.total_steps,
            "done": self.trainer.done,
        }

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
