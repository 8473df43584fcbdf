"""Digits drawn the way people write them: stroke templates, varied, as pen paths or as ink.

A drawn-digit benchmark made by redrawing MNIST digits measures the distribution the network was
trained on. This module is independent of MNIST: each digit has several hand-made stroke
templates for the ways people actually write it (flagged and plain 1s, crossed and plain 7s,
open and closed 4s, looped and plain 2s, 6s and 9s with small and large loops, two-stroke 5s,
figure-eight and stacked-circle 8s, ...). Each drawing picks a template and varies it: slant
(shear), rotation, width and height, placement on the 280x280 canvas, wobble of the pen path,
and pen width. The result is a list of strokes (polylines in canvas pixels, what a mouse
traces) plus a pen width; :func:`rasterise` turns it into canvas ink like the page's round pen.

    python scripts/handwriting.py --n 300 --out drawings.json   # a reproducible set (seed 0)

Nothing here is used to train the shipped network: it only measures it.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

CANVAS = 280
PAGE_PEN = 20  # web/js/pad.js LINE_WIDTH


def arc(cx, cy, rx, ry, start, end, n=14):
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, 0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in t]


def line(*points):
    return [tuple(p) for p in points]


# Templates in a unit box (x right, y down; the digit spans about 0..1 in height). Each template
# is a list of strokes; each stroke a list of points that the pen passes through in order.
TEMPLATES: dict[int, dict[str, list[list[tuple[float, float]]]]] = {
    0: {
        "oval": [arc(0.5, 0.5, 0.3, 0.5, -90, 270, 24)],
        "oval, overlapping start": [arc(0.5, 0.5, 0.32, 0.5, -120, 260, 24)],
        "round": [arc(0.5, 0.5, 0.42, 0.5, -80, 280, 24)],
    },
    1: {
        "plain stroke": [line((0.5, 0.0), (0.5, 1.0))],
        "flagged": [line((0.3, 0.22), (0.55, 0.0), (0.55, 1.0))],
        "flagged with a base": [
            line((0.3, 0.22), (0.55, 0.0), (0.55, 1.0)),
            line((0.3, 1.0), (0.8, 1.0)),
        ],
        "short flag": [line((0.4, 0.12), (0.55, 0.0), (0.52, 1.0))],
        "long flag": [line((0.12, 0.35), (0.6, 0.0), (0.58, 1.0))],
    },
    2: {
        "curved": [
            arc(0.5, 0.28, 0.32, 0.28, 190, 370, 10) + line((0.78, 0.45), (0.18, 1.0), (0.85, 1.0))
        ],
        "looped base": [
            arc(0.5, 0.28, 0.32, 0.28, 190, 370, 10)
            + line((0.75, 0.48), (0.3, 0.88))
            + arc(0.3, 0.9, 0.1, 0.08, -60, 180, 8)
            + line((0.3, 0.98), (0.9, 0.98))
        ],
        "angular (Z)": [line((0.18, 0.1), (0.6, 0.0), (0.8, 0.2), (0.2, 1.0), (0.85, 1.0))],
    },
    3: {
        "two bumps": [
            arc(0.45, 0.25, 0.3, 0.25, 200, 450, 12) + arc(0.45, 0.75, 0.33, 0.25, -90, 160, 12)
        ],
        "flat top": [
            line((0.2, 0.0), (0.8, 0.0), (0.45, 0.42)) + arc(0.45, 0.7, 0.33, 0.28, -80, 160, 12)
        ],
        "pointed middle": [
            arc(0.45, 0.25, 0.3, 0.25, 200, 430, 10)
            + [(0.4, 0.5)]
            + arc(0.45, 0.75, 0.33, 0.25, -60, 160, 10)
        ],
    },
    4: {
        "open top": [line((0.25, 0.0), (0.15, 0.62), (0.9, 0.62)), line((0.68, 0.05), (0.68, 1.0))],
        "closed": [line((0.62, 0.0), (0.08, 0.68), (0.92, 0.68)), line((0.62, 0.0), (0.62, 1.0))],
        "one stroke": [line((0.3, 0.0), (0.15, 0.6), (0.85, 0.6)), line((0.65, 0.3), (0.62, 1.0))],
    },
    5: {
        "two strokes": [
            line((0.28, 0.0), (0.22, 0.45)) + arc(0.48, 0.7, 0.32, 0.3, -130, 150, 12),
            line((0.28, 0.0), (0.82, 0.0)),
        ],
        "one stroke": [
            line((0.82, 0.0), (0.28, 0.0), (0.22, 0.45)) + arc(0.48, 0.7, 0.32, 0.3, -130, 150, 12)
        ],
        "angular belly": [
            line(
                (0.8, 0.0),
                (0.25, 0.0),
                (0.22, 0.42),
                (0.7, 0.45),
                (0.8, 0.8),
                (0.5, 1.0),
                (0.15, 0.9),
            )
        ],
    },
    6: {
        "small loop": [
            line((0.75, 0.0), (0.4, 0.3), (0.25, 0.7)) + arc(0.47, 0.8, 0.24, 0.2, 170, 530, 16)
        ],
        "large loop": [line((0.72, 0.02), (0.35, 0.3)) + arc(0.5, 0.68, 0.32, 0.32, 200, 560, 18)],
        "high loop": [line((0.7, 0.0), (0.3, 0.45)) + arc(0.5, 0.65, 0.3, 0.3, 180, 560, 18)],
        "curved back": [
            arc(0.6, 0.55, 0.38, 0.55, -80, -190, 10) + arc(0.5, 0.77, 0.25, 0.22, 180, 540, 14)
        ],
    },
    7: {
        "plain": [line((0.1, 0.0), (0.9, 0.0), (0.4, 1.0))],
        "crossed": [line((0.1, 0.0), (0.9, 0.0), (0.4, 1.0)), line((0.42, 0.52), (0.85, 0.52))],
        "curved stem": [line((0.1, 0.05), (0.88, 0.0)) + [(0.7, 0.35), (0.55, 0.7), (0.5, 1.0)]],
        "with a serif": [line((0.1, 0.18), (0.1, 0.0), (0.9, 0.0), (0.4, 1.0))],
        "short top": [line((0.3, 0.02), (0.85, 0.0), (0.45, 1.0))],
    },
    8: {
        "figure eight": [
            arc(0.5, 0.25, 0.26, 0.25, 0, -180, 10)
            + line((0.3, 0.4), (0.7, 0.62))
            + arc(0.5, 0.76, 0.3, 0.24, -30, 210, 12)
            + line((0.3, 0.62), (0.74, 0.26))
        ],
        "two circles": [
            arc(0.5, 0.26, 0.25, 0.26, 90, 450, 16),
            arc(0.5, 0.75, 0.3, 0.25, -90, 270, 16),
        ],
        "lopsided": [
            arc(0.45, 0.28, 0.22, 0.28, 90, 450, 14),
            arc(0.55, 0.74, 0.36, 0.26, -90, 270, 16),
        ],
        "snowman": [arc(0.5, 0.22, 0.2, 0.22, 90, 450, 14), arc(0.5, 0.7, 0.34, 0.3, -90, 270, 16)],
    },
    9: {
        "one stroke": [arc(0.5, 0.28, 0.3, 0.28, 0, -360, 16) + line((0.8, 0.3), (0.75, 1.0))],
        "two strokes": [arc(0.45, 0.28, 0.3, 0.28, -10, 350, 16), line((0.75, 0.15), (0.72, 1.0))],
        "curved tail": [
            arc(0.5, 0.27, 0.3, 0.27, 0, -360, 16) + line((0.8, 0.3), (0.72, 0.8), (0.4, 1.0))
        ],
        "small loop": [arc(0.52, 0.2, 0.22, 0.2, 0, -360, 14) + line((0.74, 0.22), (0.7, 1.0))],
        "stem through the loop": [
            arc(0.45, 0.3, 0.3, 0.3, -10, 350, 16),
            line((0.78, 0.0), (0.7, 1.0)),
        ],
    },
}


def _smooth(points: np.ndarray, per_segment: int = 6) -> np.ndarray:
    """A Catmull-Rom curve through ``points`` (a pen does not draw corners of zero radius)."""
    if len(points) < 3:
        t = np.linspace(0, 1, per_segment + 1)[:, None]
        return points[0] + t * (points[-1] - points[0]) if len(points) == 2 else points
    padded = np.vstack([points[0], points, points[-1]])
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        for t in np.linspace(0, 1, per_segment, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(
                0.5
                * (
                    2 * p1
                    + (-p0 + p2) * t
                    + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                    + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
                )
            )
    out.append(points[-1])
    return np.array(out)


def vary(template, rng: np.random.Generator, pen: float | None = None) -> dict:
    """One drawing of ``template``: slant, rotation, size, placement, wobble and pen width."""
    slant = rng.uniform(-0.25, 0.5)
    angle = math.radians(rng.uniform(-15, 15))
    height = rng.uniform(60, 240)
    width = height * rng.uniform(0.55, 0.85)
    pen = float(pen if pen is not None else rng.choice([10, 14, 20, 20, 26, 32]))
    strokes = []
    for stroke in template:
        p = np.array(stroke, dtype=float)
        p = p + rng.normal(0, 0.025, p.shape)  # the hand is not a plotter
        p = _smooth(p)
        x, y = (p[:, 0] - 0.5) * width, (p[:, 1] - 0.5) * height
        x = x - slant * y  # negative y is up: a positive slant leans the top to the right
        c, s = math.cos(angle), math.sin(angle)
        strokes.append(np.stack([c * x - s * y, s * x + c * y], axis=1))
    allp = np.vstack(strokes)
    lo, hi = allp.min(0), allp.max(0)
    margin = pen / 2 + 2
    room = np.maximum(CANVAS - 2 * margin - (hi - lo), 0)
    offset = margin + rng.uniform(0, 1, 2) * room - lo
    return {"strokes": [(s + offset).round(1).tolist() for s in strokes], "pen": pen}


def drawings(n: int, seed: int = 0) -> list[dict]:
    """``n`` drawings, the digits in turn (0, 1, ..., 9, 0, ...), each from a random template."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        digit = i % 10
        styles = TEMPLATES[digit]
        style = list(styles)[rng.integers(len(styles))]
        out.append({"label": digit, "style": style, **vary(styles[style], rng)})
    return out


def rasterise(drawing: dict, size: int = CANVAS) -> np.ndarray:
    """The drawing as canvas ink (size, size) uint8, a round pen of ``drawing['pen']`` pixels."""
    r = drawing["pen"] / 2
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    ink = np.zeros((size, size))
    for stroke in drawing["strokes"]:
        p = np.asarray(stroke, dtype=float)
        segments = zip(p[:-1], p[1:], strict=True) if len(p) > 1 else [(p[0], p[0])]
        for a, b in segments:
            x0, x1 = int(max(min(a[0], b[0]) - r - 2, 0)), int(min(max(a[0], b[0]) + r + 2, size))
            y0, y1 = int(max(min(a[1], b[1]) - r - 2, 0)), int(min(max(a[1], b[1]) + r + 2, size))
            if x1 <= x0 or y1 <= y0:
                continue
            px, py = xs[y0:y1, x0:x1], ys[y0:y1, x0:x1]
            d = b - a
            length2 = float(d @ d)
            t = (
                np.zeros_like(px)
                if length2 == 0
                else ((px - a[0]) * d[0] + (py - a[1]) * d[1]) / length2
            )
            t = np.clip(t, 0, 1)
            dist = np.hypot(px - (a[0] + t * d[0]), py - (a[1] + t * d[1]))
            cover = np.clip(r + 0.5 - dist, 0, 1)  # anti-aliased edge, like the canvas
            ink[y0:y1, x0:x1] = np.maximum(ink[y0:y1, x0:x1], cover)
    return (ink * 255).round().astype(np.uint8)


def page_strokes(drawing: dict) -> list[list[tuple[float, float]]]:
    """Mouse paths for the page's fixed 20 px pen: a wider pen is traced as two more passes,
    offset across the stroke's main direction; every second point is enough for the mouse."""
    extra = max(0.0, drawing["pen"] - PAGE_PEN)
    offsets = [(0.0, 0.0)]
    if extra >= 4:
        d = extra / 2 / math.sqrt(2)
        offsets += [(d, d), (-d, -d), (d, -d), (-d, d)]
    out = []
    for stroke in drawing["strokes"]:
        points = stroke[::2] + ([stroke[-1]] if len(stroke) % 2 == 0 else [])
        for dx, dy in offsets:
            out.append([(x + dx, y + dy) for x, y in points])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(drawings(args.n, args.seed)))
    print(f"wrote {args.n} drawings to {args.out}")


if __name__ == "__main__":
    main()
