// A worker that boots one fresh interpreter, keeps its memory snapshot for the next visit and
// ends (snapshot.js keepSnapshot starts it once the page is ready). It shares nothing with the
// page's own worker: the snapshot must be taken before any package or JS object enters Python;
// only the standard-library modules the page's start-up imported go in first (snapshot.js preimport).

import { loadPyodide } from "../pyodide/pyodide.mjs";
import { preimport, saveSnapshot } from "./snapshot.js";

self.onmessage = async ({ data: { key, indexURL, modules = [] } }) => {
  try {
    // The same options as the page's worker (worker.js boot), so a restore finds what it expects.
    const pyodide = await loadPyodide({ indexURL, stdout: () => {}, stderr: (line) => console.warn(line), _makeSnapshot: true });
    preimport(pyodide, modules);
    await saveSnapshot(pyodide, key);
    self.postMessage({ ok: true });
  } catch (err) {
    self.postMessage({ ok: false, error: String((err && err.message) || err).split("\n")[0] });
  }
};
