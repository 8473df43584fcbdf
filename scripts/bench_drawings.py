"""How well does the pretrained model read drawings, not scans? Simulated canvas drawings.

    python scripts/bench_drawings.py [--model dist/models/default.npz] [--n 500]

People do not draw like MNIST scans: they draw with a fixed pen on a 280x280 canvas, small or
large, off-centre, slanted, with a thin or a thick pen. This script turns held-out digits into
such drawings: it thins each digit to its centre line (its "pen path"), redraws that path with a
round pen of a fixed width at a random size, position and rotation on a 280x280 canvas (the page's
canvas, pen 20 px), and sends the canvas through the same path as the page — pycore's
``to_mnist`` and the model. It prints the accuracy per kind of drawing beside the accuracy on the
original images. Needs scikit-image (the ``bench`` extra); the page and pycore do not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycore.data import load_subset  # noqa: E402
from pycore.modelfile import load  # noqa: E402
from pycore.preprocess import to_mnist  # noqa: E402

CANVAS = 280
PEN = 20  # web/js/pad.js LINE_WIDTH

# name: (digit height range in canvas px, rotation range in degrees, pen width, off-centre)
KINDS = {
    "typical (height 150-240 px)": ((150, 240), 0, PEN, False),
    "small (height 60-110 px)": ((60, 110), 0, PEN, False),
    "off-centre (in a corner)": ((90, 150), 0, PEN, True),
    "rotated (up to 15 degrees)": ((140, 230), 15, PEN, False),
    "thin pen (8 px)": ((150, 240), 0, 8, False),
    "thick pen (32 px)": ((150, 240), 0, 32, False),
    "mixed (all of the above at random)": None,
}


def drawing(image: np.ndarray, rng, height_range, max_degrees, pen, corner) -> np.ndarray:
    from skimage.morphology import binary_dilation, disk, skeletonize
    from skimage.transform import rescale, rotate

    ink = image.reshape(28, 28).astype(np.float64) / 255
    rows, cols = np.nonzero(ink > 0.3)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height = rng.uniform(*height_range)
    big = rescale(ink, height / ink.shape[0], order=1)
    if max_degrees:
        big = rotate(big, rng.uniform(-max_degrees, max_degrees), resize=True, order=1)
    path = skeletonize(big > 0.5)
    ys, xs = np.nonzero(path)
    if ys.size == 0:
        ys, xs = np.nonzero(big > 0.5)
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    margin = pen // 2 + 1
    room_y, room_x = max(1, CANVAS - h - 2 * margin), max(1, CANVAS - w - 2 * margin)
    if corner:
        top = (
            margin
            + rng.integers(0, max(1, room_y // 5)) * rng.choice([0, 1])
            + (room_y - room_y // 5 if rng.random() < 0.5 else 0)
        )
        left = margin + (room_x - room_x // 5 if rng.random() < 0.5 else 0)
    else:
        top = margin + rng.integers(0, room_y) // 4 + room_y * 3 // 8
        left = margin + rng.integers(0, room_x) // 4 + room_x * 3 // 8
    canvas = np.zeros((CANVAS, CANVAS), bool)
    canvas[
        np.clip(ys - ys.min() + top, 0, CANVAS - 1), np.clip(xs - xs.min() + left, 0, CANVAS - 1)
    ] = 1
    return binary_dilation(canvas, disk(pen // 2)).astype(np.uint8) * 255


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "dist" / "models" / "default.npz")
    parser.add_argument("--data", type=Path, default=ROOT / "dist" / "data" / "mnist-subset.npz")
    parser.add_argument("--n", type=int, default=500, help="held-out digits per kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    net, meta = load(args.model)
    test = load_subset(args.data).test
    n = min(args.n, len(test))
    scans = net.predict(test.images()[:n])
    print(f"model: {args.model.name} {net.sizes}; {n} held-out digits per kind")
    print(f"{'original MNIST images':40s} {np.mean(scans == test.labels[:n]):.1%}")
    settings = [v for v in KINDS.values() if v is not None]
    for name, kind in KINDS.items():
        rng = np.random.default_rng(args.seed)
        images = []
        for i in range(n):
            chosen = kind if kind is not None else settings[rng.integers(len(settings))]
            images.append(to_mnist(drawing(test.pixels[i], rng, *chosen)))
        predicted = net.predict(np.stack(images))
        print(f"{name:40s} {np.mean(predicted == test.labels[:n]):.1%}")


if __name__ == "__main__":
    main()
