// The Web Worker that owns Pyodide and the one pycore.worker_api.App of this page.
//
// Protocol (every message is a plain object):
//   page -> worker  {id, method, params}        call an App method (or a training control) by name
//   worker -> page  {id, ok: true, result}      one reply per request, in request order
//                   {id, ok: false, error, field?}
//                   {type: "progress", stage, percent}          while loading
//                   {type: "ready", info} | {type: "fatal", message}
//                   {type: "train", kind, state, progress?}     after every training slice
//                   (kind is "train" or "finetune": which command started the run)
// Python is synchronous, so requests queue up and run one at a time; training runs in slices of
// about SLICE_SECONDS between requests, which is how pause/stop/step and predictions get through.

import { loadPyodide } from "../pyodide/pyodide.mjs";

const BASE = new URL("../", import.meta.url);
const SLICE_SECONDS = 0.06;

// The App methods the page calls, and nothing else (pycore.worker_api.call checks its own list too).
const APP_METHODS = new Set([
  "model_info", "predict", "test_digit", "load_model", "reset_model", "export_model", "evaluate", "weights",
  "trace_lesson", "trace_digit", "my_digits_accuracy", "finetune_result", "export_collection", "import_collection",
  "self_check", "model_snapshot",
]);
const TRAIN_METHODS = new Set(["train_start", "train_finetune", "train_pause", "train_resume", "train_step", "train_stop"]);

let pyodide = null;
let app = null;
let pyCall = null;
const queue = [];
let pumping = false;
let bootFailed = false;
// Training state: "idle" (no run), "running", "paused", "done", "diverged", "stopped".
const training = { state: "idle", kind: "train" };

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

function progress(stage, percent) {
  post({ type: "progress", stage, percent: Math.round(percent) });
}

// Every ArrayBuffer under `value`, once each, so large typed arrays move instead of being copied.
function buffersOf(value, found = new Set()) {
  if (ArrayBuffer.isView(value)) found.add(value.buffer);
  else if (Array.isArray(value)) value.forEach((v) => buffersOf(v, found));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => buffersOf(v, found));
  return found;
}

function toJs(proxy) {
  if (proxy === null || typeof proxy !== "object" || typeof proxy.toJs !== "function") return proxy;
  try {
    return proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  } finally {
    proxy.destroy();
  }
}

// Call one App method; returns {ok, result} or {ok: false, error, field}.
function callApp(method, params) {
  const kwargs = pyodide.toPy(params || {});
  try {
    return toJs(pyCall(app, method, kwargs));
  } finally {
    kwargs.destroy();
  }
}

function humanLoadError(err) {
  const text = String((err && err.message) || err || "unknown error");
  if (/sha256|integrity/i.test(text)) {
    return "A runtime file is damaged (its checksum does not match). Reload the page; if that does not help, rebuild the site.";
  }
  if (/WebAssembly|wasm/i.test(text)) {
    return `The Python runtime could not start (${text.split("\n")[0]}). This browser may not support WebAssembly.`;
  }
  // A PythonError's message is the whole traceback: keep what follows "SomeError: ".
  const type = err && err.type;
  const at = type ? text.lastIndexOf(`${type}: `) : -1;
  if (at >= 0) return text.slice(at + type.length + 2).trim().split("\n")[0];
  const last = text.trim().split("\n").filter(Boolean).pop() || text;
  return last.replace(/^[\w.]+(Error|Exception): /, "");
}

// loadPackage reports failures through its error callback and resolves anyway; turn them into
// one exception so that a missing or damaged package stops the start-up with a clear message.
async function loadPackages(names) {
  const errors = [];
  await pyodide.loadPackage(names, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  if (errors.length) {
    const text = errors.join("\n");
    if (/integrity|sha256|digest/i.test(text)) {
      throw new Error(`A runtime file is damaged: ${names.join(", ")} does not match its recorded checksum. Reload the page; if that does not help, rebuild the site.`);
    }
    // "Failed to fetch" is all a browser says when a file's checksum does not match (or it
    // cannot be reached): fetch it again without the check to tell the two apart.
    const diagnosis = await diagnosePackages(names);
    throw new Error(diagnosis || `Could not load ${names.join(", ")}: ${errors.slice(1).join(" ") || errors[0]}`);
  }
}

async function diagnosePackages(names) {
  try {
    const lock = await (await fetch(new URL("pyodide/pyodide-lock.json", BASE))).json();
    for (const name of names) {
      const file = lock.packages[name] && lock.packages[name].file_name;
      if (!file) return `The runtime's package list has no ${name}: rebuild the site.`;
      const response = await fetch(new URL(`pyodide/${file}`, BASE), { cache: "no-store" });
      if (!response.ok) return `Could not download ${file}: the server answered ${response.status}.`;
      const digest = await crypto.subtle.digest("SHA-256", await response.arrayBuffer());
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
      if (hex !== lock.packages[name].sha256) {
        return `A runtime file is damaged: ${file} does not match its recorded checksum. Reload the page; if that does not help, rebuild the site.`;
      }
    }
  } catch (err) {
    return null;
  }
  return null;
}

async function fetchBytes(path, what) {
  let response;
  try {
    response = await fetch(new URL(path, BASE));
  } catch (err) {
    throw new Error(`Could not download ${what} (${path}): the network request failed.`);
  }
  if (!response.ok) {
    throw new Error(`Could not download ${what} (${path}): the server answered ${response.status} ${response.statusText}.`.replace(/ \./, "."));
  }
  const declared = Number(response.headers.get("Content-Length"));
  const buffer = await response.arrayBuffer();
  if (declared && !response.headers.get("Content-Encoding") && buffer.byteLength !== declared) {
    throw new Error(`The download of ${what} (${path}) was cut short: ${buffer.byteLength} of ${declared} bytes.`);
  }
  return new Uint8Array(buffer);
}

async function boot() {
  const started = performance.now();
  progress("Loading Python runtime", 2);
  // Start the downloads of the digits and the model at once, beside the runtime.
  const data = fetchBytes("data/mnist-subset.npz", "the digit file");
  const model = fetchBytes("models/default.npz", "the pretrained model");
  data.catch(() => {});
  model.catch(() => {});
  pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", BASE).href,
    stdout: () => {},
    stderr: (line) => console.warn(line),
  });
  const timings = { runtime_ms: performance.now() - started };
  progress("Loading numpy", 55);
  await loadPackages(["numpy"]);
  timings.numpy_ms = performance.now() - started;
  progress("Loading pycore", 75);
  await loadPackages(["pycore"]);
  timings.pycore_ms = performance.now() - started;
  progress("Downloading digits and model", 82);
  const [dataBytes, modelBytes] = await Promise.all([data, model]);
  progress("Preparing the network", 90);
  // pycore.worker_api turns every exception into a short message for a person (never a
  // traceback) and keeps a bad setting's field name; CPython tests it.
  const api = pyodide.pyimport("pycore.worker_api");
  pyCall = api.call.copy();
  const makeApp = api.make_app.copy();
  try {
    app = makeApp(dataBytes, modelBytes);
  } catch (err) {
    throw new Error(`The digit file or the pretrained model could not be read: ${humanLoadError(err)}`);
  } finally {
    makeApp.destroy();
    api.destroy();
  }
  const info = callApp("info", {});
  if (!info.ok) throw new Error(info.error);
  timings.ready_ms = performance.now() - started;
  info.result.timings = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]));
  info.result.versions.pyodide = pyodide.version;
  progress("Ready", 100);
  post({ type: "ready", info: info.result });
}

function reply(id, outcome) {
  if (outcome.ok) post({ id, ok: true, result: outcome.result }, [...buffersOf(outcome.result)]);
  else post({ id, ok: false, error: outcome.error, field: outcome.field, message: outcome.message });
}

function trainEvent(progressResult) {
  const message = { type: "train", kind: training.kind, state: training.state };
  if (progressResult) message.progress = progressResult;
  post(message, progressResult ? [...buffersOf(progressResult)] : []);
}

function runSlice(options) {
  const outcome = callApp("train_slice", options);
  if (!outcome.ok) {
    training.state = "stopped";
    post({ type: "train", kind: training.kind, state: "stopped", error: outcome.error });
    return;
  }
  const p = outcome.result;
  if (p.diverged) training.state = "diverged";
  else if (p.done) training.state = "done";
  trainEvent(p);
}

function handleTraining(method, params) {
  switch (method) {
    case "train_start": {
      const outcome = callApp("start_training", { settings: params.settings || {}, fresh: params.fresh !== false });
      if (!outcome.ok) return outcome;
      training.kind = "train";
      training.state = params.paused ? "paused" : "running";
      trainEvent(null);
      return outcome;
    }
    case "train_finetune": {
      const { paused, ...kwargs } = params;
      const outcome = callApp("start_finetune", kwargs);
      if (!outcome.ok) return outcome;
      training.kind = "finetune";
      training.state = paused ? "paused" : "running";
      trainEvent(null);
      return outcome;
    }
    case "train_pause":
      if (training.state === "running") training.state = "paused";
      trainEvent(null);
      return { ok: true, result: { state: training.state } };
    case "train_resume":
      if (training.state === "paused") training.state = "running";
      trainEvent(null);
      return { ok: true, result: { state: training.state } };
    case "train_step": {
      if (training.state === "idle" || training.state === "stopped") {
        return { ok: false, error: "There is no training run to step: start one first." };
      }
      if (training.state === "done" || training.state === "diverged") {
        return { ok: false, error: "This training run has ended: start a new one." };
      }
      training.state = "paused";
      runSlice({ max_batches: 1, max_seconds: null });
      return { ok: true, result: { state: training.state } };
    }
    case "train_stop":
      if (training.state === "running" || training.state === "paused") training.state = "stopped";
      trainEvent(null);
      return { ok: true, result: { state: training.state } };
    default:
      return { ok: false, error: `Unknown training command ${method}` };
  }
}

function handle(request) {
  const { id, method, params } = request;
  let outcome;
  try {
    if (TRAIN_METHODS.has(method)) outcome = handleTraining(method, params || {});
    else if (APP_METHODS.has(method)) {
      outcome = callApp(method, params || {});
      // A new or reset model ends any training run.
      if (outcome.ok && (method === "load_model" || method === "reset_model") && training.state !== "idle") {
        training.state = "idle";
        trainEvent(null);
      }
    } else outcome = { ok: false, error: `The worker has no command called "${method}".` };
  } catch (err) {
    outcome = { ok: false, error: humanLoadError(err) };
  }
  reply(id, outcome);
}

// Let queued messages in: a macrotask, much cheaper than setTimeout's clamped delay.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
function nextTask() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

async function pump() {
  if (pumping || !app) return;
  pumping = true;
  try {
    for (;;) {
      if (queue.length) handle(queue.shift());
      else if (training.state === "running") runSlice({ max_seconds: SLICE_SECONDS });
      else break;
      await nextTask();
    }
  } finally {
    pumping = false;
  }
}

self.onmessage = (event) => {
  const request = event.data;
  if (!request || typeof request.id !== "number") return;
  if (bootFailed) {
    post({ id: request.id, ok: false, error: "The Python runtime failed to load." });
    return;
  }
  queue.push(request);
  pump();
};

boot()
  .then(pump)
  .catch((err) => {
    bootFailed = true;
    post({ type: "fatal", message: humanLoadError(err) });
    for (const request of queue.splice(0)) {
      post({ id: request.id, ok: false, error: "The Python runtime failed to load." });
    }
  });
