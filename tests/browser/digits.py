"""Real held-out digits as mouse strokes, for drawing them on the page as a person would.

A digit's pixels brighter than half are joined into horizontal runs, row by row; each run becomes
one stroke in 28x28 image coordinates (scripts/browser.py: ``strokes_for``, ``draw_strokes``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from browser import strokes_for  # noqa: F401  (the tests import it from here)

from pycore.data import subset_from_bytes

DIST = Path(os.environ.get("PYCORE_DIST", Path(__file__).resolve().parents[2] / "dist"))
DATA = DIST / "data" / "mnist-subset.npz"


@lru_cache(maxsize=1)
def held_out():
    """The held-out split of the built site's digit file: (pixels (N, 784) uint8, labels (N,))."""
    subset = subset_from_bytes(DATA.read_bytes())
    return subset.test.pixels, subset.test.labels


def first_of_each_class() -> list[tuple[int, int, list]]:
    """(index, label, strokes) for the first held-out digit of each class 0..9."""
    pixels, labels = held_out()
    chosen = []
    for digit in range(10):
        index = int(np.flatnonzero(labels == digit)[0])
        chosen.append((index, digit, strokes_for(pixels[index])))
    return chosen


def digit(index: int) -> tuple[int, list]:
    """(label, strokes) of held-out digit ``index``."""
    pixels, labels = held_out()
    return int(labels[index]), strokes_for(pixels[index])
