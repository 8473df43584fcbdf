// Starts the Python worker as the first thing the page does.
//
// index.html loads this module on its own (async), so the worker (and with it Pyodide's start)
// begins while the rest of the page's modules are still arriving, ~0.1 s earlier than when
// main.js, after its whole module graph, would start it. What the worker says before the page's
// WorkerClient takes it over is kept and handed over in order (takeEarlyWorker).

import { testHooksOn } from "./hooks-flag.js";

/** The worker's script; with the page's test hooks on (?testhooks=1) the worker's are on too. */
export function workerURL() {
  const url = new URL("./worker.js", import.meta.url);
  if (testHooksOn(location.search)) url.searchParams.set("testhooks", "1");
  return url;
}

const EVENTS = ["message", "error", "messageerror"];
let early = null;
try {
  performance.mark("pycore:worker-start"); // read by scripts/bench_page.py
  const worker = new Worker(workerURL(), { type: "module" });
  const events = [];
  const keep = (event) => {
    if (event.type === "error") event.preventDefault();
    events.push(event);
  };
  for (const type of EVENTS) worker.addEventListener(type, keep);
  early = { worker, events, keep };
} catch (err) {
  // The page's WorkerClient tries again and says what went wrong.
}

/**
 * The worker started here, once ({worker, handOver}); null when there is none (already taken,
 * or it could not start). Its events are kept until `handOver(handle)`, which stops keeping
 * them and passes the kept ones, in order, to `handle(event)`: the caller listens from then on.
 */
export function takeEarlyWorker() {
  const taken = early;
  early = null;
  if (!taken) return null;
  return {
    worker: taken.worker,
    handOver(handle) {
      for (const type of EVENTS) taken.worker.removeEventListener(type, taken.keep);
      for (const event of taken.events.splice(0)) handle(event);
    },
  };
}
