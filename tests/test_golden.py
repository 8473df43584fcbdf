"""A tiny seeded training run gives the very bytes it gave when this digest was committed.

``test_same_seed_gives_the_same_bytes`` (tests/test_network.py) shows that two runs in one
process agree; this pins one run to a digest written into the test, so a change that alters the
numbers of training (an operation reordered, a rounding changed, a random stream shifted) fails
here even when every run still agrees with itself. If such a change is intended, the new digest
is printed by the failing assertion: check the reason, then commit it.

Why float64, ReLU, an identity output, mean squared error and plain SGD: then training uses only
``+ - * /``, ``max`` and matrix products. The element-wise operations are exactly rounded IEEE
arithmetic, the same on every machine; ``exp`` and ``log`` (softmax, cross-entropy) are not, as
NumPy picks a different SIMD implementation per CPU. What is left is the order of the sums inside
a BLAS matrix product, which depends on the thread count: the run therefore happens in a fresh
interpreter with one BLAS thread (OPENBLAS_NUM_THREADS=1 set before NumPy is imported).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pycore.data import default_path

ROOT = Path(__file__).resolve().parent.parent

GOLDEN_SHA256 = "3eacd2581fe898bf977f18936e43ff709acbc83f9a8f8231d5ec89a92eea657b"

RUN = """
import hashlib
from pycore.data import load_subset
from pycore.train import Settings, Trainer

settings = Settings.from_dict({
    "hidden": [16], "activation": "relu", "output": "identity", "loss": "mse",
    "optimizer": "sgd", "lr": 0.1, "batch_size": 50, "epochs": 2, "seed": 0,
    "dtype": "float64",
})
train = load_subset().train
net = settings.build()
trainer = Trainer(net, settings, train.images(float)[:500], train.labels[:500])
trainer.run()
assert trainer.done and not trainer.diverged, trainer.message
parameters = b"".join(p.tobytes() for p in net.parameters().values())
print(hashlib.sha256(parameters).hexdigest())
"""


def tiny_run_digest() -> str:
    """sha256 of the parameters after the tiny run, computed in a one-BLAS-thread interpreter."""
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_tiny_seeded_run_gives_the_committed_bytes():
    if not default_path().exists():
        pytest.skip("the digit subset is not built; `make test` builds it first (`make data`)")
    assert tiny_run_digest() == GOLDEN_SHA256
