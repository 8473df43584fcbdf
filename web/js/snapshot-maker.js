// A worker that boots one fresh interpreter, keeps its memory snapshot for the next visit and
// ends (snapshot.js keepSnapshot starts it once the page is ready). It shares nothing with the
// page's own worker: the snapshot must be taken before any package or JS object enters Python.

import { loadPyodide } from "../pyodide/pyodide.mjs";
import { saveSnapshot } from "./snapshot.js";

self.onmessage = async ({ data: { key, indexURL } }) => {
  try {
    // The same options as the page's worker (worker.js boot), so a restore finds what it expects.
    const pyodide = await loadPyodide({ indexURL, stdout: () => {}, stderr: (line) => console.warn(line), _makeSnapshot: true });
    await saveSnapshot(pyodide, key);
    self.postMessage({ ok: true });
  } catch (err) {
    self.postMessage({ ok: false, error: String((err && err.message) || err).split("\n")[0] });
  }
};
