// A return visit installs numpy and pycore from an uncompressed copy of their files.
//
// pyodide.loadPackage unzips each wheel with Python's zipfile and then refreshes every import
// cache (which imports importlib.metadata). Right after a restore from the interpreter snapshot
// (snapshot.js) the browser compiles the interpreter's code again as it is first used, and that
// step took ~1 s of a ~2 s return visit. So the first visit installs with loadPackage as before
// and, once the page is ready, keeps the files it installed as one uncompressed zip in Cache
// Storage (~12 MB, keyed by the site build like the snapshot; no byte crosses the network for
// it). A return visit writes those files straight into Pyodide's file system from JavaScript;
// numpy's compiled modules are linked when Python imports them (a worker may compile
// WebAssembly synchronously).
// Every failure (no Cache Storage, a missing or damaged copy) falls back to loadPackage, with
// the reason in the console (worker.js).

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;

/**
 * The entries of a zip archive (a wheel is one): [{name, method, offset, size, compressedSize}]
 * where `offset` is where the entry's (compressed) bytes start. Directories are left out.
 * Throws on anything that is not a plain zip (no ZIP64, no encryption; wheels need neither).
 */
export function zipEntries(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i -= 1) {
    if (view.getUint32(i, true) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("not a zip archive (no end-of-directory record)");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const names = new TextDecoder();
  const entries = [];
  for (let n = 0; n < count; n += 1) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) throw new Error("damaged zip directory");
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (flags & 1) throw new Error(`${name} is encrypted`);
    if (method !== 0 && method !== 8) throw new Error(`${name} uses compression method ${method}`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw new Error(`damaged zip entry ${name}`);
    const offset = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (offset + compressedSize > bytes.length) throw new Error(`${name} is cut short`);
    if (name.endsWith("/")) continue;
    if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`${name} points outside its folder`);
    entries.push({ name, method, offset, size, compressedSize });
  }
  return entries;
}

/** One stored (uncompressed) entry's bytes: a view into `bytes`, not a copy. */
export function entryBytes(bytes, entry) {
  if (entry.method !== 0) throw new Error(`${entry.name} is compressed; the kept copy stores its files`);
  if (entry.size !== entry.compressedSize) {
    throw new Error(`${entry.name}: ${entry.compressedSize} bytes instead of ${entry.size}`);
  }
  return bytes.subarray(entry.offset, entry.offset + entry.size);
}

/**
 * Write the files of an uncompressed archive (storedZip) into `dir` of Pyodide's file system
 * (`FS` is pyodide.FS). Returns the number of files written.
 */
export function unzipInto(FS, dir, bytes) {
  const entries = zipEntries(bytes);
  const contents = entries.map((entry) => entryBytes(bytes, entry)); // all checked before any write
  const made = new Set();
  entries.forEach((entry, i) => {
    const path = `${dir}/${entry.name}`;
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(parent)) {
      FS.mkdirTree(parent);
      made.add(parent);
    }
    FS.writeFile(path, contents[i]);
  });
  return entries.length;
}

/** An uncompressed zip archive of `files` ([{name, bytes}]), which zipEntries reads back. */
export function storedZip(files) {
  const encoder = new TextEncoder();
  const names = files.map((f) => encoder.encode(f.name));
  const size = files.reduce((sum, f, i) => sum + 30 + 46 + 2 * names[i].length + f.bytes.length, 22);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const locals = [];
  let at = 0;
  files.forEach((file, i) => {
    locals.push(at);
    view.setUint32(at, LOCAL, true);
    view.setUint32(at + 18, file.bytes.length, true);
    view.setUint32(at + 22, file.bytes.length, true);
    view.setUint16(at + 26, names[i].length, true);
    out.set(names[i], at + 30);
    out.set(file.bytes, at + 30 + names[i].length);
    at += 30 + names[i].length + file.bytes.length;
  });
  const directory = at;
  files.forEach((file, i) => {
    view.setUint32(at, CENTRAL, true);
    view.setUint32(at + 20, file.bytes.length, true);
    view.setUint32(at + 24, file.bytes.length, true);
    view.setUint16(at + 28, names[i].length, true);
    view.setUint32(at + 42, locals[i], true);
    out.set(names[i], at + 46);
    at += 46 + names[i].length;
  });
  view.setUint32(at, END, true);
  view.setUint16(at + 8, files.length, true);
  view.setUint16(at + 10, files.length, true);
  view.setUint32(at + 12, at - directory, true);
  view.setUint32(at + 16, directory, true);
  return out;
}

// site-packages, from sys.path (importing sysconfig costs ~0.1-0.3 s right after a restore).
function sitePackages(pyodide) {
  return pyodide.runPython("import sys; [p for p in sys.path if p.endswith('site-packages')][0]");
}

/**
 * Write the files of an uncompressed archive (storedZip) into site-packages and make Python's
 * importer see them. Returns the number of files written; throws on a damaged archive.
 */
export function installBundle(pyodide, bundle) {
  const site = sitePackages(pyodide);
  const files = unzipInto(pyodide.FS, site, bundle);
  // Only site-packages' own finder needs to look again (importlib.invalidate_caches() would also
  // import importlib.metadata, the slow part this file avoids).
  pyodide.runPython(`
import sys
_finder = sys.path_importer_cache.get(${JSON.stringify(site)})
if _finder is not None:
    _finder.invalidate_caches()
del _finder`);
  return files;
}

/**
 * The files the wheels (`wheels`: [Uint8Array], as downloaded) put into site-packages, read back
 * from Pyodide's file system after loadPackage installed them, as one uncompressed archive.
 */
export function bundleOf(pyodide, wheels) {
  const site = sitePackages(pyodide);
  const files = [];
  for (const bytes of wheels) {
    for (const entry of zipEntries(bytes)) files.push({ name: entry.name, bytes: pyodide.FS.readFile(`${site}/${entry.name}`) });
  }
  return storedZip(files);
}

const CACHE = "pycore-wheels-v1";
const LENGTH = "X-Bundle-Length";

/** The Cache Storage key of the installed files for this site build (`indexURL` is pyodide/). */
export function bundleKey(indexURL, site) {
  return new URL(`installed-${site}.zip`, indexURL).href;
}

/** The kept archive for `key`, or null (none, no Cache Storage, or a damaged copy, then dropped). */
export async function keptBundle(key) {
  let cache;
  try {
    cache = await caches.open(CACHE);
    const hit = await cache.match(key);
    if (!hit) return null;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (bytes.length !== Number(hit.headers.get(LENGTH))) throw new Error(`${bytes.length} bytes of ${hit.headers.get(LENGTH)}`);
    return bytes;
  } catch (err) {
    console.info(`pycore: no kept copy of numpy and pycore (${err.message})`);
    if (cache) await cache.delete(key).catch(() => {});
    return null;
  }
}

/** Keep `bytes` under `key`, dropping copies from other builds (12.7 MB each). */
export async function keepBundle(key, bytes) {
  const cache = await caches.open(CACHE);
  for (const request of await cache.keys()) {
    if (request.url !== key) await cache.delete(request);
  }
  await cache.put(key, new Response(bytes, { headers: { "Content-Type": "application/zip", [LENGTH]: String(bytes.length) } }));
}
