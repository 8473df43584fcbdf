"""The built site: every output present, hashes verified, the lock consistent, nothing foreign.

These read dist/ as `make site` left it (``make test`` builds it first).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
sys.path.insert(0, str(ROOT / "scripts"))

import build_data  # noqa: E402
import build_site  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (DIST / "manifest.json").exists(), reason="dist/ is not built (run `make site`)"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DIST / "manifest.json").read_text())


def test_manifest_lists_every_file_with_its_hash(manifest):
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {
        p.relative_to(DIST).as_posix()
        for p in DIST.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "sw.js")
    }
    assert set(listed) == on_disk
    for path, entry in listed.items():
        assert sha256(DIST / path) == entry["sha256"], path
        assert (DIST / path).stat().st_size == entry["size"]


def test_required_outputs_present(manifest):
    paths = {f["path"] for f in manifest["files"]}
    for required in [
        "index.html",
        "pyodide/pyodide.mjs",
        "pyodide/pyodide.asm.js",
        "pyodide/pyodide.asm.wasm",
        "pyodide/python_stdlib.zip",
        "pyodide/pyodide-lock.json",
        f"pyodide/{build_site.NUMPY_WHEEL}",
        "pyodide/pycore-0.1.0-py3-none-any.whl",
        "data/mnist-subset.npz",
        "models/default.npz",
        "vendor/chart.umd.min.js",
        "vendor/katex/katex.min.js",
        "vendor/katex/katex.min.css",
    ]:
        assert required in paths, required
    sw = (DIST / "sw.js").read_text()
    assert f'const VERSION = "{manifest["version"]}"' in sw


def test_pyodide_core_files_are_the_npm_packages_bytes():
    for name in build_site.PYODIDE_FILES[:-1]:
        assert sha256(DIST / "pyodide" / name) == sha256(ROOT / "node_modules/pyodide" / name)
    package = json.loads((ROOT / "node_modules/pyodide/package.json").read_text())
    assert package["version"] == "0.27.7"


def test_lock_hashes_match_the_shipped_wheels():
    lock = json.loads((DIST / "pyodide/pyodide-lock.json").read_text())
    assert lock["info"]["python"].startswith("3.12")
    assert lock["info"]["version"] == "0.27.7"  # Pyodide refuses a lock without it
    assert set(lock["packages"]) == {"numpy", "pycore"}
    for entry in lock["packages"].values():
        assert sha256(DIST / "pyodide" / entry["file_name"]) == entry["sha256"]
    assert lock["packages"]["pycore"]["depends"] == ["numpy"]


def test_numpy_wheel_is_bytecode_from_the_officially_locked_wheel():
    official = json.loads((ROOT / "node_modules/pyodide/pyodide-lock.json").read_text())
    cached = build_site.CACHE / "wheels" / build_site.NUMPY_WHEEL
    assert sha256(cached) == official["packages"]["numpy"]["sha256"]
    with zipfile.ZipFile(DIST / "pyodide" / build_site.NUMPY_WHEEL) as z:
        names = z.namelist()
    assert any(n.endswith(".pyc") for n in names)
    assert not any(n.endswith("numpy/__init__.py") for n in names)
    # Only build-time files were dropped: every compiled module and licence is still there.
    assert not [n for n in names if n.endswith(build_site.BUILD_ONLY)]
    with zipfile.ZipFile(cached) as z:
        official_names = z.namelist()
    for name in official_names:
        if name.endswith(".so") or "LICENSE" in name:
            assert name in names, name


def test_pycore_wheel_keeps_its_sources_for_the_step_through():
    with zipfile.ZipFile(DIST / "pyodide/pycore-0.1.0-py3-none-any.whl") as z:
        shipped = {n: z.read(n) for n in z.namelist() if n.startswith("pycore/")}
    for source in (ROOT / "pycore").glob("*.py"):
        assert shipped[f"pycore/{source.name}"] == source.read_bytes(), source.name


def test_pycore_wheel_carries_bytecode_python_uses_without_checking_the_sources():
    """The page never compiles pycore (scripts/build_site.py, with_bytecode)."""
    import importlib.util
    import marshal

    with zipfile.ZipFile(DIST / "pyodide/pycore-0.1.0-py3-none-any.whl") as z:
        names = set(z.namelist())
        record = z.read("pycore-0.1.0.dist-info/RECORD").decode()
        for source in (ROOT / "pycore").glob("*.py"):
            name = f"pycore/__pycache__/{source.stem}.cpython-312.pyc"
            assert name in names and name in record, name
            pyc = z.read(name)
            assert pyc[:4] == importlib.util.MAGIC_NUMBER
            # PEP 552 flags: hash based (bit 0), source not checked (bit 1 clear).
            assert int.from_bytes(pyc[4:8], "little") == 0b01, name
            assert pyc[8:16] == importlib.util.source_hash(source.read_bytes())
            code = marshal.loads(pyc[16:])
            expected = compile(
                source.read_bytes(), f"pycore/{source.name}", "exec", dont_inherit=True
            )
            assert code.co_code == expected.co_code, name


def test_subset_digest_is_the_recorded_one():
    assert sha256(DIST / "data/mnist-subset.npz") == build_data.EXPECTED_SHA256


def test_default_model_loads_and_describes_itself():
    from pycore.modelfile import load

    net, meta = load(DIST / "models/default.npz")
    assert net.sizes[0] == 784 and net.sizes[-1] == 10
    assert meta["metrics"]["test_accuracy"] >= 0.98


def test_page_references_nothing_outside_the_site():
    """No http(s) URL to another origin in any page file, and a strict CSP in index.html."""
    html = (DIST / "index.html").read_text()
    csp = re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
    assert csp, "index.html has no Content-Security-Policy"
    policy = csp.group(1)
    assert "default-src 'self'" in policy
    assert "unsafe-eval" not in policy
    assert not re.search(r"https?://", policy)
    for f in DIST.rglob("*"):
        if f.suffix in (".html", ".css") or (f.suffix == ".js" and "vendor" not in f.parts):
            if "pyodide" in f.parts:
                continue
            text = f.read_text()
            for url in re.findall(r"""["'(]\s*(https?://[^"')\s]+)""", text):
                assert url.startswith(("http://www.w3.org/",)), f"{f.relative_to(DIST)}: {url}"


def test_rebuild_with_nothing_changed_is_fast_and_changes_nothing(tmp_path):
    import subprocess
    import time

    before = {p: p.stat().st_mtime_ns for p in DIST.rglob("*") if p.is_file()}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, ROOT / "scripts/build_site.py"], check=True, capture_output=True
    )
    elapsed = time.perf_counter() - start
    after = {p: p.stat().st_mtime_ns for p in DIST.rglob("*") if p.is_file()}
    assert before == after, "a rebuild with nothing changed rewrote files"
    assert elapsed < 30, f"rebuild took {elapsed:.1f} s"
