// Start Pyodide from a memory snapshot of a freshly booted interpreter, when this browser has one.
//
// Booting CPython inside WebAssembly costs ~2 s of CPU on every visit; restoring a snapshot of
// the interpreter's memory taken right after boot costs ~0.5 s. A visit without a snapshot boots
// normally; once the page is ready, `keepSnapshot` boots a second interpreter in a worker of its
// own (snapshot-maker.js) with `_makeSnapshot`, takes the snapshot at once (before any package or
// JS object enters Python: Pyodide 0.27 cannot snapshot later, and a snapshot holding numpy's
// compiled extension restores without re-linking it) and keeps it in Cache Storage; later visits
// restore from it. Booting with `_makeSnapshot` and copying the memory on the way to "ready" cost
// a first visit ~150 ms, which is why that work waits. No byte crosses the network for it.
// `_makeSnapshot`, `makeMemorySnapshot` and `_loadSnapshot` are experimental in Pyodide 0.27.7
// (pinned in package.json), so every failure — no Cache Storage, no nested workers, a missing,
// truncated or foreign snapshot (Pyodide checks its build id), a restore that throws — falls back
// to a normal start, silently for the visitor, with the reason in the console.

const CACHE = "pycore-snapshot-v1";
const LENGTH = "X-Snapshot-Length";

/**
 * The Cache Storage key of the snapshot for this Pyodide version, runtime folder and site build:
 * a new build of the site (manifest.json's version) never restores a snapshot of an older one.
 */
export function snapshotKey(indexURL, version, site) {
  return new URL(`snapshot-${version}-${site}.bin`, indexURL).href;
}

// Every other snapshot in the cache is from an older build: 21 MB each, so they go.
async function dropOthers(cache, key) {
  for (const request of await cache.keys()) {
    if (request.url !== key) await cache.delete(request);
  }
}

async function openCache() {
  try {
    return await caches.open(CACHE);
  } catch (err) {
    return null; // no Cache Storage (an opaque origin, a private mode that refuses it)
  }
}

async function restore(loadPyodide, options, cache, key, onStage) {
  const hit = await cache.match(key);
  if (!hit) return null;
  onStage("restore");
  const expected = Number(hit.headers.get(LENGTH));
  // Read while Pyodide fetches and compiles its runtime files: loadPyodide awaits this promise
  // just before it needs the bytes (and a damaged copy rejects it before anything starts).
  const bytes = hit.arrayBuffer().then((buffer) => {
    if (!expected || buffer.byteLength !== expected) {
      throw new Error(`the saved snapshot is damaged (${buffer.byteLength} of ${expected || "?"} bytes)`);
    }
    return new Uint8Array(buffer);
  });
  const pyodide = await loadPyodide({ ...options, _loadSnapshot: bytes });
  // A restored interpreter that cannot run one line is no interpreter: fall back.
  if (pyodide.runPython("1 + 1") !== 2) throw new Error("the restored interpreter does not compute");
  return pyodide;
}

/**
 * The modules imported since `before` (a comma-separated list of module names, as `moduleNames`
 * gives it): on a first visit, what loading numpy and pycore pulled in. preimport keeps only the
 * standard-library ones.
 */
export function importedSince(pyodide, before) {
  const names = pyodide.runPython(`
import sys
",".join(sorted(set(sys.modules) - set(${JSON.stringify(before.split(","))})))`);
  return names ? names.split(",") : [];
}

/** The modules `pyodide` has imported, comma-separated (module names hold no commas). */
export function moduleNames(pyodide) {
  return pyodide.runPython("import sys; ','.join(sys.modules)");
}

/**
 * Import the standard-library modules among `names` into a fresh interpreter before its snapshot is
 * taken, so a restored interpreter has them already. After a restore the browser compiles the
 * interpreter's code again as it is first used, which made reading ~50 modules from the zipped
 * standard library the slowest part of importing numpy and pycore (~0.4 s of a ~1.3 s return
 * visit). Only the standard library: a JS object or a package in Python would make the snapshot
 * fail or restore broken (see the top of this file). A module that will not import is skipped.
 * Returns how many were imported.
 */
export function preimport(pyodide, names) {
  // The names arrive as a JSON list, which is also a Python list literal.
  return pyodide.runPython(`
def _preimport(names):
    import importlib, sys
    done = 0
    for name in names:
        if name.split(".")[0] not in sys.stdlib_module_names:
            continue
        try:
            importlib.import_module(name)
            done += 1
        except Exception:
            pass
    return done
_done = _preimport(${JSON.stringify(names)})
del _preimport
_done`);
}

/**
 * Take the snapshot of `pyodide` (booted with `_makeSnapshot`, nothing but the standard library
 * loaded into it) and keep it under `key`, dropping the snapshots of other builds. Runs in
 * snapshot-maker.js.
 */
export async function saveSnapshot(pyodide, key) {
  const bytes = pyodide.makeMemorySnapshot();
  const cache = await caches.open(CACHE);
  const headers = { "Content-Type": "application/octet-stream", [LENGTH]: String(bytes.length) };
  await dropOthers(cache, key);
  await cache.put(key, new Response(bytes, { headers }));
}

/**
 * Make and keep the snapshot for `key` in a worker of its own (snapshot-maker.js), so this
 * interpreter, which already holds packages, is not the one snapshotted; the standard-library
 * `modules` are imported into it first (preimport). Resolves to true when it is kept; never
 * rejects (the reason goes to the console).
 */
export function keepSnapshot(key, indexURL, modules = []) {
  return new Promise((resolve) => {
    let maker;
    const done = (ok, reason) => {
      if (maker) maker.terminate();
      if (!ok) console.info(`pycore: no interpreter snapshot kept (${reason})`);
      resolve(ok);
    };
    try {
      maker = new Worker(new URL("./snapshot-maker.js", import.meta.url), { type: "module" });
    } catch (err) {
      done(false, err.message);
      return;
    }
    maker.onmessage = (e) => done(e.data.ok, e.data.error);
    maker.onerror = (e) => done(false, e.message || "the snapshot worker failed");
    maker.postMessage({ key, indexURL, modules });
  });
}

/**
 * loadPyodide, from the snapshot when there is a good one. Resolves to {pyodide, snapshot, keep?},
 * where snapshot is "restored", "made" (a normal boot, which also gives `keep(modules)`: call it
 * once the page is ready and a snapshot is made for the next visit, see keepSnapshot) or "none". `site` is
 * the site build's version (a promise of it is fine); without one no snapshot is used or kept.
 * `onStage(name)` hears "restore" before a restore is tried and "boot" before a normal start.
 */
export async function startPyodide(loadPyodide, version, options, { site = null, onStage = () => {} } = {}) {
  const cache = await openCache();
  const keyed = Promise.resolve(site)
    .catch(() => null)
    .then((build) => {
      if (cache && !build) console.info("pycore: no site version, so no interpreter snapshot is used or kept");
      return cache && build ? snapshotKey(options.indexURL, version, build) : null;
    });
  // Only a cache that holds a snapshot is worth waiting for the site's version (a fetch): a
  // first visit boots at once and learns the version on the way.
  if (cache && (await cache.keys()).length > 0) {
    const key = await keyed;
    try {
      const pyodide = key && (await restore(loadPyodide, options, cache, key, onStage));
      if (pyodide) return { pyodide, snapshot: "restored" };
    } catch (err) {
      console.info(`pycore: starting Python without the saved snapshot (${String(err.message || err).split("\n")[0]})`);
      await cache.delete(key).catch(() => {});
    }
  }
  onStage("boot");
  const pyodide = await loadPyodide(options);
  const key = await keyed;
  if (!key) return { pyodide, snapshot: "none" };
  return { pyodide, snapshot: "made", keep: (modules) => keepSnapshot(key, options.indexURL, modules) };
}
