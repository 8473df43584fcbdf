"""Benchmark CNN training in the page's runtime against TensorFlow.js, in one headless Chromium run.

    python scripts/bench_cnn_page.py [--rounds 3] [--seconds 6]   (PYCORE_DIST=/other/build)

Serves dist/ (read-only) on a free port and opens a benchmark page of the same origin, in which:
  - a module Worker runs the site's own Pyodide, numpy and pycore (as bench_page.py's
    BENCH_WORKER does) and trains the first-CNN lesson's network (recipe ``cnn-lesson``:
    1x28x28 -> conv 8@3x3 valid, identity -> 2x2 max-pool -> flatten 1352 -> dense 10 softmax,
    cross-entropy) by plain SGD at batch 64, float32;
  - a classic Worker per TensorFlow.js 4.22 backend (cpu, webgl, wasm) trains the same
    architecture (conv2d 8@3x3 valid linear, maxPooling2d 2, flatten, dense 10, softmax
    cross-entropy on the logits, tf.train.sgd) on the same data and batches.
Both read the same 3,200 training digits (50 batches of 64, in the same order) from one file the
benchmark serves. TensorFlow.js comes from node_modules (an npm devDependency, never in dist/),
served to the page through Playwright routes. The implementations run in turns (``--rounds``
rounds of pycore, webgl, cpu, each for ``--seconds``), and the table gives medians and the
ratio to the fastest TF.js backend (the machine has 2 cores and other work runs on it: ratios
measured side by side, not absolute figures). The wasm backend is tried with one training step
and its error printed. TF.js's webgl runs on software GL (SwiftShader) in headless Chromium.

It also measures numpy's einsum peak in the same worker (at bench_page.py's 64x784 @ 784x128
shape and at each of the lesson CNN's product shapes), and profiles pycore's step in Pyodide
(exclusive time in im2col, the matrix products, pooling, the rest), to say what limits it.
Prints one table; nothing is asserted (figures, not a timed test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DIST = Path(os.environ.get("PYCORE_DIST", ROOT / "dist"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import browser  # noqa: E402
from bench_page import start_server  # noqa: E402

from pycore.data import load_subset  # noqa: E402

TFJS = ROOT / "node_modules" / "@tensorflow"
TFJS_FILES = {  # served at /tfjs/<name>
    "tf.min.js": TFJS / "tfjs" / "dist" / "tf.min.js",
    "tf-backend-wasm.min.js": TFJS / "tfjs-backend-wasm" / "dist" / "tf-backend-wasm.min.js",
    **{p.name: p for p in (TFJS / "tfjs-backend-wasm" / "dist").glob("*.wasm")},
}
BATCH, N_BATCHES = 64, 50
MAIN = "webgl (main thread)"
TF_IMPLS = ("webgl", MAIN, "cpu", "wasm")  # TF.js backends: all in workers but MAIN

# Chromium with WebGL on software GL (SwiftShader): browser.ARGS less --disable-gpu.
CHROMIUM_ARGS = [a for a in browser.ARGS if a != "--disable-gpu"] + [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]

PAGE = """<!doctype html><meta charset="utf-8"><title>cnn bench</title>
<script type="module">
const workers = {};
function reply(w) {
  return new Promise((resolve) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ error: String(e.message || e) });
  });
}
window.startWorker = (name, url, type) => {
  const w = new Worker(url, { type });
  workers[name] = w;
  return reply(w);
};
window.callWorker = (name, msg) => {
  const w = workers[name];
  const answer = reply(w);
  w.postMessage(msg);
  return answer;
};
window.benchReady = true;
</script>
<script src="./tfjs/tf.min.js"></script>
<script src="./cnn-bench-tfjs-main.js"></script>"""

PYCORE_WORKER = r"""
import { loadPyodide } from "./pyodide/pyodide.mjs";
try {
  const py = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
  await py.loadPackage(["numpy", "pycore"]);
  const buf = await (await fetch("./cnn-bench-data.bin")).arrayBuffer();
  py.globals.set("raw", new Uint8Array(buf));
  py.runPython(`
import json, time
import numpy as np
import pycore.conv as C
import pycore.layers as L
from pycore import kernels
from pycore.optim import SGD
from pycore.settings import RECIPES, Settings

data = bytes(raw.to_py())
n = int(np.frombuffer(data[:4], dtype=np.int32)[0])
x = np.frombuffer(data[4:4 + 4 * 784 * n], dtype=np.float32).reshape(n, 1, 28, 28).copy()
y = np.frombuffer(data[4 + 4 * 784 * n:], dtype=np.int32).astype(np.int64)
B = ${BATCH}
nb = n // B
net = Settings.from_dict({**RECIPES["cnn-lesson"], "optimizer": "sgd", "batch_size": B,
                          "augment": False, "dtype": "float32"}).build()
opt = SGD(0.05)

def products():
    out, shape, first = [], net.input_shape, True
    for layer in net.layers:
        o = layer.output_shape(shape)
        if isinstance(layer, C.Conv2D):
            rows, inner = B * o[1] * o[2], layer.c_in * layer.k * layer.k
            out += [("conv forward", rows, inner, layer.c_out),
                    ("conv dW", layer.c_out, rows, inner)]
            if not first:
                out.append(("conv dx", rows, layer.c_out, inner))
            first = False
        elif isinstance(layer, L.Dense):
            out += [("dense forward", B, layer.n_in, layer.n_out),
                    ("dense dW", layer.n_out, B, layer.n_in)]
            if not first:
                out.append(("dense dx", B, layer.n_out, layer.n_in))
            first = False
        shape = o
    return out

def speed(fn, a, b, seconds=0.4):
    fn(a, b)
    count, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        fn(a, b)
        count += 1
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] * count / (time.perf_counter() - t) / 1e9

def peaks():
    rng = np.random.default_rng(0)
    einsum = lambda p, q: np.einsum("ij,jk->ik", p, q)
    a = rng.random((64, 784), dtype=np.float32)
    w = rng.random((784, 128), dtype=np.float32)
    g = rng.random((128, 64), dtype=np.float32)
    general = max(speed(einsum, a, w), speed(einsum, g, a))
    matmul_general = max(speed(lambda p, q: p @ q, a, w), speed(lambda p, q: p @ q, g, a))
    rows, seconds, total = [], 0.0, 0
    for label, m, k, nn in products():
        p = rng.random((m, k), dtype=np.float32)
        q = rng.random((k, nn), dtype=np.float32)
        s = speed(kernels.matmul, p, q)
        rows.append([label, m, k, nn, 2 * m * k * nn // B, s])
        seconds += 2 * m * k * nn / (s * 1e9)
        total += 2 * m * k * nn
    return {"einsum": general, "matmul": matmul_general, "layer_peak": total / seconds / 1e9,
            "flops": total // B, "products": rows, "kernel": kernels.KERNEL_NAME}

def steps(count, start=0):
    for i in range(start, start + count):
        j = i % nb
        net.train_step(x[j * B:(j + 1) * B], y[j * B:(j + 1) * B], opt)

steps(5)

def run(seconds):
    steps(3)
    done, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        steps(10, done)
        done += 10
    return done * B / (time.perf_counter() - t)

# Exclusive time per part of the step: wrappers on the classes and on the matmul each module
# imported, a stack so that nested time (the matmul inside the conv forward) is counted once.
PROFILE, STACK = {}, []
def wrap(owner, attr, label):
    fn = getattr(owner, attr)
    def timed(*args, **kwargs):
        name = label if isinstance(label, str) else label()
        STACK.append([name, 0.0])
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            dt = time.perf_counter() - t
            _, inner = STACK.pop()
            PROFILE[name] = PROFILE.get(name, 0.0) + dt - inner
            if STACK:
                STACK[-1][1] += dt
    setattr(owner, attr, timed)
    return fn

def profile(seconds):
    parent = lambda: (STACK[-1][0].split(":")[0] if STACK else "?") + ": matmul"
    originals = [
        (C.Conv2D, "_columns", wrap(C.Conv2D, "_columns", "conv forward: im2col")),
        (C.Conv2D, "forward", wrap(C.Conv2D, "forward", "conv forward: bias, layout, activation")),
        (C.Conv2D, "backward", wrap(C.Conv2D, "backward", "conv backward: dz layout, db")),
        (C, "matmul", wrap(C, "matmul", parent)),
        (C.MaxPool2D, "forward", wrap(C.MaxPool2D, "forward", "maxpool forward (max + argmax)")),
        (C.MaxPool2D, "backward", wrap(C.MaxPool2D, "backward", "maxpool backward (unpool)")),
        (C.Flatten, "forward", wrap(C.Flatten, "forward", "flatten")),
        (C.Flatten, "backward", wrap(C.Flatten, "backward", "flatten")),
        (L.Dense, "forward", wrap(L.Dense, "forward", "dense forward: bias, softmax")),
        (L.Dense, "backward", wrap(L.Dense, "backward", "dense backward: db")),
        (L, "matmul", wrap(L, "matmul", parent)),
        (SGD, "step", wrap(SGD, "step", "SGD update")),
    ]
    PROFILE.clear()
    done, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        steps(10, done)
        done += 10
    total = time.perf_counter() - t
    for owner, attr, fn in originals:
        setattr(owner, attr, fn)
    parts = {k: v / done * 1000 for k, v in PROFILE.items()}
    parts["rest: loss, network loop, slicing, Python"] = total / done * 1000 - sum(parts.values())
    return {"ms_per_step": total / done * 1000, "steps": done, "parts": parts}

layers_text = " -> ".join(map(repr, net.layers))
`);
  const call = (name, ...args) => {
    const fn = py.globals.get(name);
    const out = fn(...args);
    const value = out && out.toJs ? out.toJs({ dict_converter: Object.fromEntries }) : out;
    if (out && out.destroy) out.destroy();
    fn.destroy();
    return value;
  };
  onmessage = (e) => {
    try {
      const m = e.data;
      if (m.cmd === "run") postMessage({ examples_per_s: call("run", m.seconds) });
      else if (m.cmd === "peaks") postMessage(call("peaks"));
      else if (m.cmd === "profile") postMessage(call("profile", m.seconds));
    } catch (err) {
      postMessage({ error: String(err) });
    }
  };
  const versions = py.runPython(
    "import sys, numpy; f'Python {sys.version.split()[0]}, numpy {numpy.__version__}'");
  postMessage({ ready: true, layers: py.globals.get("layers_text"), versions });
} catch (err) {
  postMessage({ error: String(err) });
}
""".replace("${BATCH}", str(BATCH))

# The TF.js side, the same code in a classic worker and (for webgl) on the page's main thread.
TFJS_CORE = r"""
let backend, model, opt, batches, index = 0;

function step() {
  const [xb, yb] = batches[index++ % batches.length];
  return opt.minimize(
    () => tf.losses.softmaxCrossEntropy(yb, model.apply(xb, { training: true })), true);
}

async function chunk(count) {  // `count` steps, then wait for the last loss (the GPU finishes)
  let last = null;
  for (let k = 0; k < count; k++) {
    if (last) last.dispose();
    last = step();
  }
  const value = (await last.data())[0];
  last.dispose();
  return value;
}

async function init(name) {
  backend = name;
  if (backend === "wasm") tf.wasm.setWasmPaths(new URL("./tfjs/", self.location.href).href);
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) {
    throw new Error(`backend ${backend} could not start (active: ${tf.getBackend()})`);
  }
  const buf = await (await fetch("./cnn-bench-data.bin")).arrayBuffer();
  const n = new Int32Array(buf, 0, 1)[0];
  const x = new Float32Array(buf, 4, n * 784);
  const y = new Int32Array(buf, 4 + 4 * 784 * n, n);
  const B = __BATCH__;
  batches = [];
  for (let i = 0; i + B <= n; i += B) {
    batches.push([
      tf.tensor4d(x.slice(i * 784, (i + B) * 784), [B, 28, 28, 1]),  // NHWC; one channel
      tf.oneHot(tf.tensor1d(y.slice(i, i + B), "int32"), 10).toFloat(),
    ]);
  }
  model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: "valid",
                       activation: "linear" }),
    tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10 }),  // softmax inside the loss, as pycore's softmax + CE
  ] });
  opt = tf.train.sgd(0.05);
  let renderer = "";
  if (backend === "webgl") {
    try {
      const gl = tf.backend().gpgpu.gl;
      const ext = gl.getExtension("WEBGL_debug_renderer_info");
      renderer = gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
    } catch (err) { renderer = "?"; }
  }
  return { ready: true, version: tf.version.tfjs, backend: tf.getBackend(), renderer,
           layers: model.layers.map((l) => `${l.getClassName()} ${JSON.stringify(l.outputShape)}`),
  };
}

async function handle(m) {
  if (m.cmd === "warmup") {
    await chunk(3);
    return { ok: true };
  }
  if (m.cmd === "run") {
    await chunk(2);
    let done = 0;
    const t = performance.now();
    while (performance.now() - t < m.seconds * 1000) {
      await chunk(5);
      done += 5;
    }
    return { examples_per_s: done * __BATCH__ / ((performance.now() - t) / 1000) };
  }
  throw new Error(`unknown command ${m.cmd}`);
}

""".replace("__BATCH__", str(BATCH))

TFJS_WORKER = (
    r"""
const name = new URL(self.location.href).searchParams.get("backend");
importScripts("./tfjs/tf.min.js");
if (name === "wasm") importScripts("./tfjs/tf-backend-wasm.min.js");
"""
    + TFJS_CORE
    + r"""
const fail = (err) => postMessage({ error: String((err && err.message) || err) });
onmessage = (e) => handle(e.data).then(postMessage, fail);
init(name).then(postMessage, fail);
"""
)

# TF.js webgl on the page's main thread (a canvas, not an OffscreenCanvas), in case it is faster.
TFJS_MAIN = (
    r"""
const fail = (err) => ({ error: String((err && err.message) || err) });
"""
    + TFJS_CORE
    + r"""
window.tfMain = {
  start: (name) => init(name).catch(fail),
  call: (m) => handle(m).catch(fail),
};
"""
)


def bench_data() -> bytes:
    """The first 3,200 training digits (50 batches of 64, in order): count, pixels, labels."""
    train = load_subset(DIST / "data" / "mnist-subset.npz").train
    n = BATCH * N_BATCHES
    x = train.images()[:n].astype(np.float32)
    y = train.labels[:n].astype(np.int32)
    return struct.pack("<i", n) + x.tobytes() + y.tobytes()


def routes(ctx, payload: bytes) -> None:
    text = {"content_type": "text/javascript"}
    ctx.route("**/cnn-bench.html", lambda r: r.fulfill(body=PAGE, content_type="text/html"))
    ctx.route("**/cnn-bench-pycore.mjs", lambda r: r.fulfill(body=PYCORE_WORKER, **text))
    ctx.route("**/cnn-bench-tfjs.js*", lambda r: r.fulfill(body=TFJS_WORKER, **text))
    ctx.route("**/cnn-bench-tfjs-main.js", lambda r: r.fulfill(body=TFJS_MAIN, **text))
    ctx.route(
        "**/cnn-bench-data.bin",
        lambda r: r.fulfill(body=payload, content_type="application/octet-stream"),
    )

    def tfjs(route):
        name = route.request.url.split("/tfjs/", 1)[1].split("?")[0]
        path = TFJS_FILES.get(name)
        if path is None:
            route.fulfill(status=404, body=f"not a benchmark file: {name}")
            return
        kind = "application/wasm" if name.endswith(".wasm") else "text/javascript"
        route.fulfill(body=path.read_bytes(), content_type=kind)

    ctx.route("**/tfjs/*", tfjs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--profile-seconds", type=float, default=6.0)
    args = parser.parse_args()
    missing = [str(p) for p in TFJS_FILES.values() if not p.exists()]
    if missing:
        raise SystemExit(f"TensorFlow.js is missing ({missing[0]}); run `npm ci` (devDependencies)")
    from playwright.sync_api import sync_playwright

    server = start_server()
    payload = bench_data()
    results: dict[str, list[float]] = {"pycore": []}
    info: dict[str, dict] = {}
    with sync_playwright() as p:
        launch = browser.launch_args()
        launch["args"] = CHROMIUM_ARGS
        b = p.chromium.launch(headless=True, **launch)
        ctx = b.new_context()
        routes(ctx, payload)
        pg = ctx.new_page()
        pg.set_default_timeout(300_000)
        pg.goto(server.url + "/cnn-bench.html")
        pg.wait_for_function("() => window.benchReady === true")
        start = "([n, u, t]) => window.startWorker(n, u, t)"
        info["pycore"] = pg.evaluate(start, ["pycore", "./cnn-bench-pycore.mjs", "module"])
        if "error" in info["pycore"]:
            raise SystemExit(f"pycore worker failed: {info['pycore']['error']}")
        worker_call = "([n, m]) => window.callWorker(n, m)"
        main_call = "([n, m]) => window.tfMain.call(m)"
        backends = []
        for backend in TF_IMPLS:
            if backend == MAIN:
                info[backend] = pg.evaluate("() => window.tfMain.start('webgl')")
            else:
                url = f"./cnn-bench-tfjs.js?backend={backend}"
                info[backend] = pg.evaluate(start, [backend, url, "classic"])
            if "error" not in info[backend]:
                warm = pg.evaluate(
                    main_call if backend == MAIN else worker_call, [backend, {"cmd": "warmup"}]
                )
                if "error" in warm:
                    info[backend]["error"] = warm["error"]
            if "error" not in info[backend]:
                backends.append(backend)
                results[backend] = []
        peaks = pg.evaluate(worker_call, ["pycore", {"cmd": "peaks"}])
        for _ in range(args.rounds):  # in turns, so every one sees the same machine state
            for name in ["pycore", *backends]:
                call = main_call if name == MAIN else worker_call
                out = pg.evaluate(call, [name, {"cmd": "run", "seconds": args.seconds}])
                if "error" in out:
                    raise SystemExit(f"{name} failed: {out['error']}")
                results[name].append(out["examples_per_s"])
        prof = pg.evaluate(
            worker_call, ["pycore", {"cmd": "profile", "seconds": args.profile_seconds}]
        )
        version = b.version
        ctx.close()
        b.close()
    server.shutdown()

    med = {k: statistics.median(v) for k, v in results.items() if v}
    flops = peaks["flops"]
    print(f"site: {DIST}; Chromium {version} headless, {' '.join(CHROMIUM_ARGS)}")
    print(f"pycore in {info['pycore']['versions']} (Pyodide worker), kernel {peaks['kernel']}")
    print(f"  {info['pycore']['layers']}")
    tf_info = next((info[k] for k in backends), None)
    if tf_info:
        print(
            f"TensorFlow.js {tf_info['version']} (classic worker): {', '.join(tf_info['layers'])}"
        )
    print(
        f"lesson CNN, batch {BATCH}, float32, plain SGD, softmax cross-entropy, the same "
        f"{BATCH * N_BATCHES:,} training digits in the same batches; {args.rounds} rounds of "
        f"{args.seconds:g} s each in turns, medians"
    )
    print(f"FLOPs per example (matrix products of forward + backward): {flops:,}")
    for backend in TF_IMPLS:
        if "error" in info[backend]:
            print(f"TF.js {backend} cannot train it: {info[backend]['error']}")
        elif backend.startswith("webgl"):
            print(f"TF.js {backend} renderer: {info[backend]['renderer']}")
    print(f"{'':>26} {'examples/s':>11} {'GFLOP/s':>8}  runs")
    for name, eps in med.items():
        label = name if name == "pycore" else f"TF.js {name}"
        runs = ", ".join(f"{v:,.0f}" for v in results[name])
        print(f"{label:>26} {eps:11,.0f} {eps * flops / 1e9:8.3f}  ({runs})")
    tf_med = {k: v for k, v in med.items() if k != "pycore"}
    if tf_med:
        fastest = max(tf_med, key=tf_med.get)
        ratios = [p / t for p, t in zip(results["pycore"], results[fastest], strict=True)]
        print(
            f"pycore / fastest TF.js backend ({fastest}): {med['pycore'] / tf_med[fastest]:.2f}x "
            f"(per round: {', '.join(f'{r:.2f}' for r in ratios)}; aim >= 3x)"
        )
        for k in tf_med:
            if k != fastest:
                print(f"pycore / TF.js {k}: {med['pycore'] / tf_med[k]:.2f}x")
    gflops = med["pycore"] * flops / 1e9
    print(
        f"einsum peak in the same worker: {peaks['einsum']:.2f} GFLOP/s at 64x784 @ 784x128 "
        f"(`@` {peaks['matmul']:.2f}); pycore's step reaches {gflops / peaks['einsum']:.0%} of it"
    )
    print("the step's products through pycore.kernels.matmul in the same worker:")
    for label, m, k, n, f, s in peaks["products"]:
        print(f"  {label:<14} {f'{m}x{k} @ {k}x{n}':<22} {f:>9,} FLOPs/example {s:6.2f} GFLOP/s")
    print(
        f"  layer-shaped peak (the products alone at these speeds): {peaks['layer_peak']:.2f} "
        f"GFLOP/s -> pycore's step reaches {gflops / peaks['layer_peak']:.0%} of it"
    )
    print(
        f"profile of pycore's step in Pyodide ({prof['steps']} steps, "
        f"{prof['ms_per_step']:.2f} ms per step with the timers):"
    )
    for part, ms in sorted(prof["parts"].items(), key=lambda kv: -kv[1]):
        print(f"  {part:<48} {ms:7.2f} ms  {ms / prof['ms_per_step']:5.1%}")


if __name__ == "__main__":
    main()
