// Start Pyodide from a memory snapshot of a freshly booted interpreter, when this browser has one.
//
// Booting CPython inside WebAssembly costs ~2 s of CPU on every visit; restoring a snapshot of
// the interpreter's memory taken right after boot costs ~0.5 s. The first visit boots normally
// with `_makeSnapshot`, takes the snapshot at once (before any package or JS object enters
// Python: Pyodide 0.27 cannot snapshot later, and a snapshot holding numpy's compiled extension
// restores without re-linking it) and keeps it in Cache Storage; later visits restore from it.
// No byte crosses the network for it. `_makeSnapshot`, `makeMemorySnapshot` and `_loadSnapshot`
// are experimental in Pyodide 0.27.7 (pinned in package.json), so every failure — no Cache
// Storage, a missing, truncated or foreign snapshot (Pyodide checks its build id), a restore that
// throws — falls back to a normal start, silently for the visitor, with the reason in the console.

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

function save(pyodide, cache, key) {
  let bytes;
  try {
    bytes = pyodide.makeMemorySnapshot();
  } catch (err) {
    console.info(`pycore: no interpreter snapshot kept (${err.message})`);
    return;
  }
  const headers = { "Content-Type": "application/octet-stream", [LENGTH]: String(bytes.length) };
  // Written in the background: the page does not wait for 20 MB to reach the disk.
  dropOthers(cache, key)
    .then(() => cache.put(key, new Response(bytes, { headers })))
    .catch((err) => {
      console.info(`pycore: the interpreter snapshot could not be stored (${err.message})`);
    });
}

/**
 * loadPyodide, from the snapshot when there is a good one. Resolves to {pyodide, snapshot}, where
 * snapshot is "restored", "made" (a normal boot that kept a snapshot) or "none". `site` is the
 * site build's version (a promise of it is fine); without one no snapshot is used or kept.
 * `onStage(name)` hears "restore" before a restore is tried and "boot" before a normal start.
 */
export async function startPyodide(loadPyodide, version, options, { site = null, onStage = () => {} } = {}) {
  const [cache, build] = await Promise.all([openCache(), Promise.resolve(site).catch(() => null)]);
  if (cache && !build) console.info("pycore: no site version, so no interpreter snapshot is used or kept");
  const key = cache && build ? snapshotKey(options.indexURL, version, build) : null;
  if (key) {
    try {
      const pyodide = await restore(loadPyodide, options, cache, key, onStage);
      if (pyodide) return { pyodide, snapshot: "restored" };
    } catch (err) {
      console.info(`pycore: starting Python without the saved snapshot (${String(err.message || err).split("\n")[0]})`);
      await cache.delete(key).catch(() => {});
    }
  }
  onStage("boot");
  const pyodide = await loadPyodide({ ...options, _makeSnapshot: Boolean(key) });
  if (!key) return { pyodide, snapshot: "none" };
  save(pyodide, cache, key);
  return { pyodide, snapshot: "made" };
}
