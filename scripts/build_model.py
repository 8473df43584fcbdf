"""Train the page's pretrained model with the default recipe (or a named one) and write it.

    python scripts/build_model.py --out dist/models/default.npz [--data dist/data/mnist-subset.npz]
    python scripts/build_model.py --recipe cnn --out dist/models/cnn.npz

``--recipe`` trains another of pycore.settings.RECIPES (such as ``cnn``) the same way; which
model the page ships is decided by the Makefile's --out, not here.

It is `python -m pycore train --recipe default` with the built digit subset: the 8,000 training
digits only; the last line gives the accuracy on the 2,000 held-out ones (README.md has the
figure). The progress bar shows the held-out accuracy every 10 epochs (`--held-out-every`): each
measurement of the pretrained CNN costs ~0.8 s, against ~7 s for an epoch.
The same seed gives the same parameters, byte for byte, with the same NumPy (the file also
records how long training took, which varies).

NumPy's BLAS is kept to one thread here (unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is
already set), for two reasons: the parameters then do not depend on how many cores the machine
has (the thread count changes the order of the sums inside a matrix product), and on a shared
two-core machine a second BLAS thread mostly spins waiting for a core. Measured on a two-core
machine shared with other work: one thread 119-165 s wall, 110-124 s CPU (user+sys); two
threads 295 s wall, 312 s CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if "OPENBLAS_NUM_THREADS" not in os.environ and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before NumPy is imported

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycore.cli import main  # noqa: E402
from pycore.settings import RECIPES  # noqa: E402


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=ROOT / "dist" / "data" / "mnist-subset.npz")
    parser.add_argument("--seed", type=int, help="another seed than the recipe's (0)")
    parser.add_argument(
        "--recipe", default="default", choices=sorted(RECIPES), help="the recipe to train"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    argv = ["train", "--recipe", args.recipe, "--data", str(args.data), "--out", str(args.out)]
    argv += ["--held-out-every", "10"]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.quiet:
        argv.append("--quiet")
    return main(argv)


if __name__ == "__main__":
    sys.exit(run())
