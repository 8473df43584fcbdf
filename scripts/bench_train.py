"""Benchmark CPython training speed of pycore against PyTorch on the same network, data and batches.

    python scripts/bench_train.py [--epochs 3] [--repeats 3] [--hidden 128] [--batch-size 64]

784-128-10 (ReLU, softmax + cross-entropy), float32, plain SGD, the same shuffled batches for
both, measured side by side in one run (alternating, best of ``--repeats``). It also measures this
machine's NumPy matmul peak, so the pycore figure reads as a fraction of what the hardware gives
NumPy. PyTorch is optional (a benchmark-only dependency, CPU build); without it only pycore runs.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycore import Network  # noqa: E402
from pycore.data import default_path, load_subset  # noqa: E402
from pycore.optim import SGD  # noqa: E402


def flops_per_example(sizes: list[int]) -> int:
    """Multiply-adds x 2 for forward (x W^T), dW (dz^T x) and dx (dz W, skipped at the input)."""
    forward = sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    input_dx = 2 * sizes[0] * sizes[1]
    return 3 * forward - input_dx


def matmul_gflops(m: int, k: int, n: int, seconds: float = 0.5) -> float:
    a = np.random.default_rng(0).random((m, k), dtype=np.float32)
    b = np.random.default_rng(1).random((k, n), dtype=np.float32)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * m * k * n * count / (time.perf_counter() - start) / 1e9


def data(n: int = 8000) -> tuple[np.ndarray, np.ndarray, str]:
    if default_path().exists():
        subset = load_subset()
        return subset.train.images(), subset.train.labels.astype(np.int64), "bundled MNIST subset"
    rng = np.random.default_rng(0)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n), "random digits"


def batches(n: int, batch_size: int, epochs: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    order = [rng.permutation(n) for _ in range(epochs)]
    return [o[i : i + batch_size] for o in order for i in range(0, n, batch_size)]


def run_pycore(x, y, plan, sizes, lr) -> float:
    net = Network.build(sizes, ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(0))
    opt = SGD(lr)
    net.train_step(x[plan[0]], y[plan[0]], opt)
    start = time.perf_counter()
    for rows in plan:
        net.train_step(x[rows], y[rows], opt)
    return sum(len(r) for r in plan) / (time.perf_counter() - start)


def run_torch(torch, x, y, plan, sizes, lr) -> float:
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def step(rows):
        idx = torch.from_numpy(rows)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(tx[idx]), ty[idx])
        loss.backward()
        opt.step()

    step(plan[0])
    start = time.perf_counter()
    for rows in plan:
        step(rows)
    return sum(len(r) for r in plan) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    sizes = [784, args.hidden, 10]
    x, y, source = data()
    plan = batches(len(y), args.batch_size, args.epochs)
    # Peaks first: once PyTorch has run, its idle worker threads spin and slow NumPy's BLAS.
    flops = flops_per_example(sizes)
    peak_square = matmul_gflops(1024, 1024, 1024)
    peak_layer = matmul_gflops(args.batch_size, 784, args.hidden)
    results: dict[str, list[float]] = {"pycore": [], "torch": []}
    for _ in range(args.repeats):  # alternate, so both see the same machine state
        results["pycore"].append(run_pycore(x, y, plan, sizes, 0.1))
        if torch is not None:
            results["torch"].append(run_torch(torch, x, y, plan, sizes, 0.1))
    best = {k: max(v) for k, v in results.items() if v}
    print(f"python {platform.python_version()}, numpy {np.__version__}", end="")
    print(
        f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
        if torch
        else ", torch not installed"
    )
    print(
        f"network {'-'.join(map(str, sizes))} relu/softmax, float32, SGD, batch {args.batch_size}, "
        f"{len(plan)} batches x {args.repeats} repeats on {source}"
    )
    print(f"FLOPs per example (forward + backward): {flops:,}")
    print(
        f"numpy matmul peak: {peak_square:.1f} GFLOP/s (1024^3), {peak_layer:.1f} GFLOP/s "
        f"({args.batch_size}x784 @ 784x{args.hidden})"
    )
    for name, eps in best.items():
        gflops = eps * flops / 1e9
        print(
            f"{name:>7}: {eps:10,.0f} examples/s  {gflops:6.2f} GFLOP/s  "
            f"{gflops / peak_layer:5.1%} of the layer-shaped matmul peak, "
            f"{gflops / peak_square:5.1%} of the 1024^3 peak"
        )
    if "torch" in best:
        print(f"pycore / torch: {best['pycore'] / best['torch']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
