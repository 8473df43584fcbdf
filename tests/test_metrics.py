"""Accuracy, confusion matrix, per-class accuracy and the list of mistakes."""

from __future__ import annotations

import numpy as np

from pycore import metrics


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    m = metrics.confusion_matrix(np.array([0, 2, 2, 1, 0]), np.array([0, 2, 1, 1, 1]), 3)
    assert m.tolist() == [[1, 0, 0], [1, 1, 1], [0, 0, 1]]
    assert m.sum() == 5
    np.testing.assert_allclose(metrics.per_class_accuracy(m), [1.0, 1 / 3, 1.0])


def test_per_class_accuracy_of_an_absent_class_is_nan():
    m = metrics.confusion_matrix(np.array([0]), np.array([0]), 2)
    assert np.isnan(metrics.per_class_accuracy(m)[1])


def test_misclassified_lists_mistakes_most_confident_first():
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]])
    labels = np.array([0, 0, 0, 1])
    wrong = metrics.misclassified(probs, labels)
    assert wrong["index"].tolist() == [2, 1, 3]
    assert wrong["predicted"].tolist() == [1, 1, 0] and wrong["label"].tolist() == [0, 0, 1]
    np.testing.assert_array_equal(wrong["probs"], probs[[2, 1, 3]])


def test_report_agrees_with_accuracy(rng):
    probs = rng.random((50, 10))
    labels = rng.integers(0, 10, 50)
    report = metrics.report(probs, labels)
    assert report["accuracy"] == metrics.accuracy(probs.argmax(1), labels)
    assert np.trace(report["confusion"]) == round(report["accuracy"] * 50)
