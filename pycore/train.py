"""A trainer that works in slices.

The settings it runs with (:class:`Settings`, :data:`RECIPES`) live in :mod:`pycore.settings`
and are importable from here too. :class:`Trainer` runs a few batches at a
time (``run``) and returns progress, so its caller can pause, stop, step one batch, answer other
requests and stream charts between slices. It never prints. When the loss stops being a finite
number it stops, says why, and puts back the last parameters that gave a finite loss.

Two options help a long run end well. The learning rate can follow a schedule: ``exponential``
multiplies it by ``lr_decay`` after each epoch (``lr_decay`` 1 keeps it constant); ``cosine``
also lowers it smoothly along half a cosine, batch by batch, to zero at the last batch, so the
final steps only polish. And ``ema`` keeps an exponential moving average of the weights
(Polyak averaging): the average of the last few hundred steps sits nearer the bottom of the
valley than any single noisy step, so it usually scores a little higher. With ``ema`` on, the
held-out accuracy is measured with the averaged weights, and they become the network's weights
when the run finishes.
"""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np

from . import optim, verdict
from .augment import distort, written_forms
from .metrics import accuracy
from .network import Network
from .settings import RECIPES, Settings, SettingsError

__all__ = ["RECIPES", "Settings", "SettingsError", "Trainer"]


class Trainer:
    """Mini-batch training of ``net`` on ``(x, labels)``, a slice of batches at a time.

    Shapes:
        x: (N, 784) float in [0, 1]; labels: (N,) int; the same for ``test``.

    The held-out accuracy is measured at the end of every ``held_out_every``-th epoch and of the
    last one (an epoch without a measurement records ``None``): for the pretrained CNN one
    measurement costs ~0.8 s against ~7 s for the epoch, so a run that shows nothing meanwhile
    (``python -m pycore train --quiet``, which builds the site's model) measures only at the end.
    """

    def __init__(
        self,
        net: Network,
        settings: Settings,
        x: np.ndarray,
        labels: np.ndarray,
        test: tuple[np.ndarray, np.ndarray] | None = None,
        held_out_every: int = 1,
    ):
        if held_out_every < 1:
            raise ValueError(f"held_out_every must be at least 1, not {held_out_every}")
        self.net, self.settings = net, settings
        self.held_out_every = held_out_every
        self.x = np.asarray(x, dtype=net.dtype)
        self.labels = np.asarray(labels)
        self.test = (
            None if test is None else (np.asarray(test[0], dtype=net.dtype), np.asarray(test[1]))
        )
        self.optimizer = optim.get(settings.optimizer, settings.lr)
        self.shuffle_rng = np.random.default_rng([settings.seed, 1])
        self.augment_rng = np.random.default_rng([settings.seed, 2])
        self.batches_per_epoch = math.ceil(len(self.labels) / settings.batch_size)
        self.total_steps = self.batches_per_epoch * settings.epochs
        self.step = 0
        self.epoch = 0
        self._order: np.ndarray | None = None
        self._last_good = {k: p.copy() for k, p in net.parameters().items()}
        self.ema: dict[str, np.ndarray] | None = None
        if settings.ema > 0:
            self.ema = {k: p.copy() for k, p in net.parameters().items()}
            self._ema_scratch = {k: np.empty_like(p) for k, p in net.parameters().items()}
        self._ema_updates = 0
        self.done = False
        self.diverged = False
        self.message = ""
        self.test_accuracy: float | None = None
        self.examples_seen = 0
        self.seconds = 0.0
        # Per-epoch numbers are counted batch by batch inside run(), so they do not depend on
        # how the run is cut into slices (a slice may end anywhere in an epoch).
        self.history: list[dict] = []
        self._epoch_losses: list[float] = []
        self._epoch_correct = self._epoch_seen = 0
        self._start_losses: list[float] = []
        self._recent: deque[float] = deque(
            maxlen=max(1, min(self.batches_per_epoch, self.total_steps // 10))
        )
        self.verdict: dict | None = None

    def _batch(self) -> tuple[np.ndarray, np.ndarray]:
        index = self.step % self.batches_per_epoch
        if index == 0 or self._order is None:
            self._order = self.shuffle_rng.permutation(len(self.labels))
        rows = self._order[
            index * self.settings.batch_size : (index + 1) * self.settings.batch_size
        ]
        x = self.x[rows]
        if self.settings.augment:
            s = self.settings
            if s.forms > 0:
                x = written_forms(x, self.labels[rows], self.augment_rng, s.forms)
            x = distort(
                x, self.augment_rng, s.rotation, s.shift, s.scale, s.elastic,
                shear=s.shear, thickness=s.thickness,
            )  # fmt: skip
        return x, self.labels[rows]

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """The labels the loss compares with: as they are, or smoothed (label smoothing)."""
        eps = self.settings.label_smoothing
        if eps <= 0:
            return y
        # (1 - eps) on the right digit, and eps spread evenly over all of them.
        t = self.net.targets(y)
        t *= 1 - eps
        t += eps / t.shape[1]
        return t

    def learning_rate(self, step: int | None = None) -> float:
        """The learning rate used for batch ``step`` (0-based; default: the next batch)."""
        step = self.step if step is None else step
        lr = self.settings.lr * self.settings.lr_decay ** (step // self.batches_per_epoch)
        if self.settings.lr_schedule == "cosine":
            lr *= 0.5 * (1 + math.cos(math.pi * step / self.total_steps))
        return lr

    def _update_average(self) -> None:
        """Move the averaged weights a little towards the current ones: ema += (1-d)(p - ema)."""
        # A shorter memory at the start, so the average does not linger on the random init.
        self._ema_updates += 1
        decay = min(self.settings.ema, (1 + self._ema_updates) / (10 + self._ema_updates))
        for name, p in self.net.parameters().items():
            average, step = self.ema[name], self._ema_scratch[name]
            # In place: no new arrays per batch (this runs after every batch of the run).
            np.subtract(p, average, out=step)
            step *= 1 - decay
            average += step

    def run(self, max_batches: int | None = None, max_seconds: float | None = None) -> dict:
        """Train until ``max_batches`` batches or ``max_seconds`` have passed, or the run ends.

        Returns the progress of this slice: the loss of every batch, running accuracy, speed,
        and ``done``/``diverged`` with a message when the run ended. ``epochs`` lists the epochs
        that ended in this slice (see :meth:`_end_epoch`), the same however the run is sliced;
        ``verdict`` says, once the run ended, whether it learned (:mod:`pycore.verdict`).
        """
        start = time.perf_counter()
        step_losses: list[float] = []
        finished: list[dict] = []
        correct = seen = 0
        while not self.done:
            if max_batches is not None and len(step_losses) >= max_batches:
                break
            if (
                max_seconds is not None
                and step_losses
                and time.perf_counter() - start >= max_seconds
            ):
                break
            x, y = self._batch()
            self.optimizer.lr = self.learning_rate()
            # Overflow is how divergence shows itself; it is caught just below and explained.
            with np.errstate(over="ignore", invalid="ignore"):
                loss = self.net.train_step(
                    x, self._targets(y), self.optimizer, last_good=self._last_good
                )
            if not math.isfinite(loss):
                self._diverge(loss)
                break
            if self.ema is not None:
                self._update_average()
            step_losses.append(loss)
            # Counted on the batch's own forward pass (before its update), batch by batch.
            right = int(np.sum(np.argmax(self.net.layers[-1].cache["a"], axis=1) == y))
            correct += right
            seen += len(y)
            self._tally(loss, right, len(y))
            self.step += 1
            if self.step % self.batches_per_epoch == 0:
                self.epoch += 1
                measured = self.test is not None and (
                    self.epoch % self.held_out_every == 0 or self.step >= self.total_steps
                )
                if measured:
                    self.test_accuracy = self.evaluate()
                finished.append(self._end_epoch(measured))
            if self.step >= self.total_steps:
                self.done = True
                self.message = f"Finished {self.settings.epochs} epochs ({self.step} batches)."
                if self.ema is not None:
                    self.net.set_parameters(self.ema)
                    self.message += " The network now holds the averaged weights."
                self.verdict = self._judge()
        elapsed = time.perf_counter() - start
        self.seconds += elapsed
        self.examples_seen += seen
        return {
            "step": self.step,
            "total_steps": self.total_steps,
            "epoch": self.epoch,
            "epoch_progress": self.step / self.batches_per_epoch,
            "losses": step_losses,
            "loss": float(np.mean(step_losses)) if step_losses else None,
            "train_accuracy": correct / seen if seen else None,
            "test_accuracy": self.test_accuracy,
            "lr": self.optimizer.lr,
            "examples_per_second": seen / elapsed if elapsed > 0 and seen else None,
            "seconds": elapsed,
            "done": self.done,
            "diverged": self.diverged,
            "message": self.message,
            "epochs": finished,
            "verdict": self.verdict,
        }

    def _tally(self, loss: float, right: int, count: int) -> None:
        self._epoch_losses.append(loss)
        self._epoch_correct += right
        self._epoch_seen += count
        self._recent.append(loss)
        if len(self._start_losses) < 10:
            self._start_losses.append(loss)

    def _end_epoch(self, measured: bool) -> dict:
        """Close the epoch just finished: its mean loss, training and held-out accuracy (None
        when it was not ``measured``).

        The training accuracy is counted on each batch's forward pass, before that batch's
        update, over the whole epoch: early in a run it trails the held-out accuracy, which is
        measured once, at the epoch's end, on the network as it then is.
        """
        record = {
            "epoch": self.epoch,
            "step": self.step,
            "loss": math.fsum(self._epoch_losses) / len(self._epoch_losses),
            "train_accuracy": self._epoch_correct / self._epoch_seen,
            "test_accuracy": self.test_accuracy if measured else None,
        }
        self.history.append(record)
        self._epoch_losses, self._epoch_correct, self._epoch_seen = [], 0, 0
        return record

    def _judge(self) -> dict:
        """Did the finished run learn? See :func:`pycore.verdict.judge`."""
        held_out = self.test is not None
        return verdict.judge(
            self.settings,
            losses_start=math.fsum(self._start_losses) / len(self._start_losses),
            first_epoch_loss=self.history[0]["loss"],
            end_loss=math.fsum(self._recent) / len(self._recent),
            accuracy=self.test_accuracy if held_out else self.history[-1]["train_accuracy"],
            n_classes=self.net.sizes[-1],
            held_out=held_out,
        )

    def _diverge(self, loss: float) -> None:
        self.net.set_parameters(self._last_good)
        self.optimizer.reset()
        self.done = self.diverged = True
        what = "NaN (not a number)" if math.isnan(loss) else "infinite"
        self.message = (
            f"Training stopped at batch {self.step + 1}: the loss became {what}. The learning rate "
            f"({self.settings.lr:g}) is probably too high for this network; try a smaller one. "
            "The parameters from the last step with a finite loss were kept."
        )
        self.verdict = {**verdict.diverged(self.settings), "message": self.message}

    def evaluate(self) -> float | None:
        """Accuracy on the held-out examples.

        During a run with ``ema`` on, this measures the averaged weights (those the run ends with).
        """
        if self.test is None:
            return None
        if self.ema is None or self.done:
            return self._accuracy()
        live = {k: p.copy() for k, p in self.net.parameters().items()}
        self.net.set_parameters(self.ema)
        try:
            return self._accuracy()
        finally:
            self.net.set_parameters(live)

    def _accuracy(self) -> float:
        x, y = self.test
        return accuracy(self.net.predict(x), y)
