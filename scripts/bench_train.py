"""Benchmark CPython training of pycore against PyTorch: same networks, data and batches.

    PYTHONPATH=. python scripts/bench_train.py [--network all|mlp|cnn-lesson|cnn] [--repeats 5]
        [--epochs 3] [--hidden 128] [--batch-size 64] [--cnn-batches 60]

Three networks, each float32, softmax + cross-entropy, plain SGD, batch 64 by default:
  - mlp: 784-128-10 (ReLU), ``--epochs`` over the 8,000 training digits;
  - cnn-lesson: the first-CNN lesson's network (recipe ``cnn-lesson``): 1x28x28 -> conv 8@3x3
    valid (identity) -> 2x2 max-pool -> flatten 1352 -> dense 10;
  - cnn: the ``cnn`` recipe's network: conv 16@3x3 relu -> pool -> conv 32@3x3 relu -> pool ->
    flatten 800 -> dense 128 relu -> dense 10 (trained here by plain SGD, not the recipe's Adam,
    without augmentation: this measures the network's step, forward and backward).
Both libraries get the same initial weights (PyTorch's copied from pycore's) and the same shuffled
batches. The two are measured side by side in one run, alternating, ``--repeats`` times; the
figures are medians and the one that matters is the ratio (the machine has 2 cores and other work
runs on it, so absolute figures move from run to run). Both run on one thread
(OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1), unless PYCORE_BENCH_THREADS says otherwise).

FLOPs per example count the matrix products of one step (forward, dW, dx except at the input);
pooling, activations and the loss are not counted. NumPy's matmul peak is measured at each of those
products' shapes, and "the layer-shaped peak" is what the step would reach if it did nothing but
these products at their measured speeds (total FLOPs / sum of each product's time), so pycore's
figure reads as a fraction of what the hardware gives NumPy at these shapes.
PyTorch is optional (a benchmark-only dependency, CPU build); without it only pycore runs.
"""

from __future__ import annotations

import os

# Threads before NumPy (and its BLAS) is imported: one each, for a fair side-by-side.
THREADS = os.environ.get("PYCORE_BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pycore import Network  # noqa: E402
from pycore.conv import Conv2D, Flatten, MaxPool2D  # noqa: E402
from pycore.data import default_path, load_subset  # noqa: E402
from pycore.layers import Dense  # noqa: E402
from pycore.optim import SGD  # noqa: E402
from pycore.settings import RECIPES, Settings  # noqa: E402

NETWORKS = ("mlp", "cnn-lesson", "cnn")


def flops_per_example(sizes: list[int]) -> int:
    """Multiply-adds x 2 for forward (x W^T), dW (dz^T x) and dx (dz W, skipped at the input)."""
    forward = sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    input_dx = 2 * sizes[0] * sizes[1]
    return 3 * forward - input_dx


def step_products(net: Network, batch: int) -> list[tuple[str, int, int, int]]:
    """The matrix products ``(label, m, k, n)`` of one training step of ``net`` on ``batch``.

    Mirrors Conv2D and Dense: forward ``cols @ W^T`` / ``x @ W^T``, ``dW = dz^T @ cols``,
    ``dx = dz @ W`` (not for the first layer: the input needs no gradient).
    """
    products, shape = [], net.input_shape
    first = True
    for layer in net.layers:
        out = layer.output_shape(shape)
        if isinstance(layer, Conv2D):
            rows, inner = batch * out[1] * out[2], layer.c_in * layer.k * layer.k
            name = f"conv {layer.c_in}->{layer.c_out}"
            products += [(f"{name} forward", rows, inner, layer.c_out),
                         (f"{name} dW", layer.c_out, rows, inner)]  # fmt: skip
            if not first:
                products.append((f"{name} dx", rows, layer.c_out, inner))
            first = False
        elif isinstance(layer, Dense):
            name = f"dense {layer.n_in}->{layer.n_out}"
            products += [(f"{name} forward", batch, layer.n_in, layer.n_out),
                         (f"{name} dW", layer.n_out, batch, layer.n_in)]  # fmt: skip
            if not first:
                products.append((f"{name} dx", batch, layer.n_out, layer.n_in))
            first = False
        shape = out
    return products


def matmul_gflops(m: int, k: int, n: int, seconds: float = 0.3) -> float:
    a = np.random.default_rng(0).random((m, k), dtype=np.float32)
    b = np.random.default_rng(1).random((k, n), dtype=np.float32)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * m * k * n * count / (time.perf_counter() - start) / 1e9


def layer_peak(products: list[tuple[str, int, int, int]], batch: int) -> tuple[float, list]:
    """GFLOP/s of the step's products alone at their measured speeds, and each product's row."""
    rows, seconds, total = [], 0.0, 0
    for label, m, k, n in products:
        flops = 2 * m * k * n
        speed = matmul_gflops(m, k, n)
        rows.append((label, m, k, n, flops // batch, speed))
        seconds += flops / (speed * 1e9)
        total += flops
    return total / seconds / 1e9, rows


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


def build_pycore(name: str, hidden: int) -> Network:
    if name == "mlp":
        return Network.build(
            [784, hidden, 10], ["relu", "softmax"], "cross_entropy", rng=np.random.default_rng(0)
        )
    settings = {**RECIPES[name], "optimizer": "sgd", "augment": False, "dtype": "float32"}
    return Settings.from_dict(settings).build()


def build_torch(torch, net: Network):
    """The same layers as ``net`` in PyTorch, with ``net``'s initial weights (logits out)."""
    nn, layers = torch.nn, []

    def activation(name: str):
        if name == "relu":
            layers.append(nn.ReLU())
        elif name == "sigmoid":
            layers.append(nn.Sigmoid())
        elif name == "tanh":
            layers.append(nn.Tanh())
        elif name not in ("identity", "softmax"):  # softmax: inside CrossEntropyLoss
            raise ValueError(f"no PyTorch twin for activation {name!r}")

    for layer in net.layers:
        if isinstance(layer, Conv2D):
            conv = nn.Conv2d(layer.c_in, layer.c_out, layer.k, padding=layer.padding)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(layer.W))
                conv.bias.copy_(torch.from_numpy(layer.b))
            layers.append(conv)
            activation(layer.activation.name)
        elif isinstance(layer, MaxPool2D):
            layers.append(nn.MaxPool2d(layer.size))
        elif isinstance(layer, Flatten):
            layers.append(nn.Flatten())
        elif isinstance(layer, Dense):
            linear = nn.Linear(layer.n_in, layer.n_out)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W))
                linear.bias.copy_(torch.from_numpy(layer.b))
            layers.append(linear)
            activation(layer.activation.name)
        else:
            raise ValueError(f"no PyTorch twin for {layer!r}")
    return nn.Sequential(*layers)


def run_pycore(name, hidden, x, y, plan, lr) -> float:
    net = build_pycore(name, hidden)
    opt = SGD(lr)
    net.train_step(x[plan[0]], y[plan[0]], opt)
    start = time.perf_counter()
    for rows in plan:
        net.train_step(x[rows], y[rows], opt)
    return sum(len(r) for r in plan) / (time.perf_counter() - start)


def run_torch(torch, name, hidden, x, y, plan, lr) -> float:
    model = build_torch(torch, build_pycore(name, hidden))
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


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    pools = [f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()]
    return "threads: " + ", ".join(pools)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=("all", *NETWORKS), default="all")
    parser.add_argument("--epochs", type=int, default=3, help="MLP: epochs per repetition")
    parser.add_argument("--cnn-batches", type=int, default=60, help="CNNs: batches per repetition")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=128, help="MLP hidden layer")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(int(THREADS))
    except ImportError:
        torch = None
    names = NETWORKS if args.network == "all" else (args.network,)
    x, y, source = data()
    images = x.reshape(-1, 1, 28, 28)
    # Peaks first: once PyTorch has run, its idle worker threads can spin and slow NumPy's BLAS.
    peak_square = matmul_gflops(1024, 1024, 1024, seconds=0.5)
    setups = {}
    for name in names:
        net = build_pycore(name, args.hidden)
        products = step_products(net, args.batch_size)
        flops = sum(2 * m * k * n for _, m, k, n in products) // args.batch_size
        if name == "mlp":
            assert flops == flops_per_example([784, args.hidden, 10])
            plan = batches(len(y), args.batch_size, args.epochs)
        else:
            plan = batches(len(y), args.batch_size, 1)[: args.cnn_batches]
        peak, rows = layer_peak(products, args.batch_size)
        setups[name] = (net, flops, plan, peak, rows)
    results: dict[str, dict[str, list[float]]] = {n: {"pycore": [], "torch": []} for n in names}
    for _ in range(args.repeats):  # alternate, so both see the same machine state
        for name in names:
            plan, inputs = setups[name][2], (x if name == "mlp" else images)
            results[name]["pycore"].append(run_pycore(name, args.hidden, inputs, y, plan, 0.05))
            if torch is not None:
                results[name]["torch"].append(
                    run_torch(torch, name, args.hidden, inputs, y, plan, 0.05)
                )

    print(f"python {platform.python_version()}, numpy {np.__version__} ({blas_threads()})", end="")
    print(
        f", torch {torch.__version__} ({torch.get_num_threads()} thread"
        f"{'s' if torch.get_num_threads() != 1 else ''}, interop {torch.get_num_interop_threads()})"
        if torch
        else ", torch not installed"
    )
    print(
        f"float32, softmax + cross-entropy, plain SGD, batch {args.batch_size}, same initial "
        f"weights and batches; {args.repeats} repetitions alternating pycore and torch, medians; "
        f"data: {source}"
    )
    print(f"numpy matmul peak at 1024^3: {peak_square:.1f} GFLOP/s")
    for name in names:
        net, flops, plan, peak, rows = setups[name]
        print()
        print(f"== {name}: {' -> '.join(map(repr, net.layers))}")
        print(
            f"   {len(plan)} batches per repetition; FLOPs per example (matrix products of "
            f"forward + backward): {flops:,}"
        )
        print(f"   {'products of one step':<28} {'m x k @ k x n':<22} FLOPs/example  numpy GFLOP/s")
        for label, m, k, n, f, speed in rows:
            print(f"     {label:<26} {f'{m}x{k} @ {k}x{n}':<22} {f:>13,} {speed:>14.1f}")
        print(f"   layer-shaped matmul peak (the products alone): {peak:.1f} GFLOP/s")
        med = {k: statistics.median(v) for k, v in results[name].items() if v}
        for impl, eps in med.items():
            gflops = eps * flops / 1e9
            runs = ", ".join(f"{v:,.0f}" for v in results[name][impl])
            print(
                f"   {impl:>7}: {eps:9,.0f} examples/s  {gflops:6.2f} GFLOP/s  "
                f"{gflops / peak:5.1%} of the layer-shaped peak, {gflops / peak_square:5.1%} of "
                f"the 1024^3 peak  (runs: {runs})"
            )
        if "torch" in med:
            ratios = [
                p / t for p, t in zip(results[name]["pycore"], results[name]["torch"], strict=True)
            ]
            print(
                f"   pycore / torch: {med['pycore'] / med['torch']:.2f}x (per repetition: "
                + ", ".join(f"{r:.2f}" for r in ratios)
                + ")"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
