import assert from "node:assert/strict";
import { test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { bundleKey, entryBytes, storedZip, unzipInto, zipEntries } from "../../web/js/wheels.js";

// A zip archive written by hand (local headers, central directory, end record), as a wheel is.
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data, stored } of files) {
    const nameBytes = Buffer.from(name);
    const body = stored ? Buffer.from(data) : deflateRawSync(Buffer.from(data));
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

const TEXT = "import numpy as np\n".repeat(50);
const FILES = [
  { name: "pkg/", data: "" , stored: true },
  { name: "pkg/__init__.py", data: TEXT },
  { name: "pkg/sub/data.bin", data: "\u0000\u0001\u0002", stored: true },
  { name: "pkg-1.0.dist-info/RECORD", data: "pkg/__init__.py,,\n" },
];

// The same files, every one stored (as in the kept copy).
const STORED = FILES.map((f) => ({ ...f, stored: true }));

test("a wheel's files are listed without its folders; stored ones read back byte for byte", () => {
  const bytes = zip(FILES);
  const entries = zipEntries(bytes);
  assert.deepEqual(entries.map((e) => e.name), ["pkg/__init__.py", "pkg/sub/data.bin", "pkg-1.0.dist-info/RECORD"]);
  assert.equal(entries[0].method, 8);
  assert.ok(entries[0].compressedSize < entries[0].size);
  assert.deepEqual([...entryBytes(bytes, entries[1])], [0, 1, 2]);
  // A compressed entry is never written as it is: only the kept copy is installed from.
  assert.throws(() => entryBytes(bytes, entries[0]), /compressed/);
  const stored = zip(STORED);
  assert.equal(new TextDecoder().decode(entryBytes(stored, zipEntries(stored)[0])), TEXT);
});

test("unzipping writes every file under the folder and makes each parent once", () => {
  const written = new Map();
  const made = [];
  const FS = { mkdirTree: (p) => made.push(p), writeFile: (p, d) => written.set(p, new TextDecoder().decode(d)) };
  assert.equal(unzipInto(FS, "/site", zip(STORED)), 3);
  assert.deepEqual([...written.keys()], ["/site/pkg/__init__.py", "/site/pkg/sub/data.bin", "/site/pkg-1.0.dist-info/RECORD"]);
  assert.equal(written.get("/site/pkg/__init__.py"), TEXT);
  assert.deepEqual(made, ["/site/pkg", "/site/pkg/sub", "/site/pkg-1.0.dist-info"]);
});

test("a damaged, cut or hostile archive is refused with a reason", () => {
  const bytes = zip(FILES);
  assert.throws(() => zipEntries(bytes.subarray(0, bytes.length - 30)), /not a zip|damaged/);
  assert.throws(() => zipEntries(new Uint8Array(100)), /not a zip/);
  assert.throws(() => zipEntries(zip([{ name: "../evil.py", data: "x" }])), /outside/);
  assert.throws(() => zipEntries(zip([{ name: "/etc/passwd", data: "x" }])), /outside/);
  // A stored entry whose recorded sizes disagree.
  const stored = zip(STORED);
  const entries = zipEntries(stored);
  assert.throws(() => entryBytes(stored, { ...entries[0], size: entries[0].size + 1 }), /bytes instead of/);
  // Nothing is written from an archive with a compressed entry.
  const FS = { mkdirTree: () => {}, writeFile: () => assert.fail("wrote a file") };
  assert.throws(() => unzipInto(FS, "/site", bytes), /compressed/);
});

test("the kept copy is an uncompressed archive that reads back file for file", () => {
  const files = [
    { name: "numpy/__init__.py", bytes: new TextEncoder().encode(TEXT) },
    { name: "numpy/_core/_multiarray_umath.so", bytes: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) },
    { name: "pycore/é.py", bytes: new Uint8Array(0) },
  ];
  const bundle = storedZip(files);
  const entries = zipEntries(bundle);
  assert.deepEqual(entries.map((e) => [e.name, e.method, e.size, e.compressedSize]), files.map((f) => [f.name, 0, f.bytes.length, f.bytes.length]));
  for (const [i, entry] of entries.entries()) assert.deepEqual([...entryBytes(bundle, entry)], [...files[i].bytes]);
  // A copy cut short is refused rather than half installed.
  assert.throws(() => zipEntries(bundle.subarray(0, bundle.length - 1)));
});

test("each site build keeps its own copy, next to the runtime", () => {
  const key = bundleKey("https://example.org/app/pyodide/", "0123abcd");
  assert.equal(key, "https://example.org/app/pyodide/installed-0123abcd.zip");
  assert.notEqual(key, bundleKey("https://example.org/app/pyodide/", "4567ef01"));
});
