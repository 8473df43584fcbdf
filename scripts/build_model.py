"""Train the page's pretrained model with the default recipe and write it (one command).

    python scripts/build_model.py --out dist/models/default.npz [--data dist/data/mnist-subset.npz]

It is `python -m pycore train --recipe default` with the built digit subset; the same seed gives
the same bytes on the same machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycore.cli import main  # noqa: E402


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=ROOT / "dist" / "data" / "mnist-subset.npz")
    args = parser.parse_args()
    return main(["train", "--recipe", "default", "--data", str(args.data), "--out", str(args.out)])


if __name__ == "__main__":
    sys.exit(run())
