"""How good is a classifier: accuracy, confusion matrix, per-class accuracy, its mistakes.

Labels are integer classes; ``probs`` are the network's outputs, one row per example.
"""

from __future__ import annotations

import numpy as np


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of examples whose predicted class equals the label."""
    labels = np.asarray(labels)
    return float(np.mean(np.asarray(predicted) == labels)) if labels.size else 0.0


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """``m[true, predicted]`` counts, shape (n_classes, n_classes).

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    array([[1, 1],
           [0, 1]])
    """
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(labels, dtype=np.intp), np.asarray(predicted, dtype=np.intp)), 1)
    return m


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """For each true class, the fraction predicted right (NaN for a class with no examples)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def misclassified(probs: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The examples predicted wrong, most confident mistakes first.

    Returns ``index``, ``label``, ``predicted`` and ``probs`` (one row of probabilities each).
    """
    predicted = np.argmax(probs, axis=1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="stable")]
    return {
        "index": order,
        "label": np.asarray(labels)[order],
        "predicted": predicted[order],
        "probs": probs[order],
    }


def report(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, confusion matrix and per-class accuracy in one call."""
    predicted = np.argmax(probs, axis=1)
    matrix = confusion_matrix(predicted, labels, probs.shape[1])
    return {
        "accuracy": accuracy(predicted, labels),
        "confusion": matrix,
        "per_class": per_class_accuracy(matrix),
    }
