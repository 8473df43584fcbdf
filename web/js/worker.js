// The Web Worker that owns Pyodide and the one pycore.worker_api.App of this page.
//
// Protocol (every message is a plain object):
//   page -> worker  {id, method, params}        call an App method (or a training control) by name
//                   {type: "activity"}          the visitor did something (no reply; keepForNextVisit)
//   worker -> page  {id, ok: true, result}      one reply per request, in request order
//                   {id, ok: false, error, field?}
//                   {type: "progress", stage, snapshot?}        a start-up stage begins (STAGES in
//                                                               boot-helpers.js: names and bar)
//                   {type: "ready", info} | {type: "fatal", message}
//                   {type: "data", ok, result?, error?, timings} the 10,000 digits arrived and the
//                                                          network was measured on them (after ready)
//                   {type: "train", kind, state, progress?}     after every training slice
//                   {type: "dead", message}                     Pyodide failed fatally (see isFatal)
//                   (kind is "train" or "finetune": which command started the run)
// Python is synchronous, so requests queue up and run one at a time; training runs in slices of
// about SLICE_SECONDS between requests, which is how pause/stop/step and predictions get through.
//
// Start-up does at once what it can: the model, the lock file and the wheels are downloaded
// while the interpreter starts (from this browser's snapshot of it when there is one,
// snapshot.js); the digits, which a first drawing does not need, once the page is ready. numpy and
// pycore come from this browser's uncompressed copy of their files when there is one
// (wheels.js), else from the wheels by loadPackage. "ready" comes once the network can answer a
// drawing; the digits are read into pycore after that, and the calls that need them
// (NEEDS_DIGITS) wait for them.

import { loadPyodide } from "../pyodide/pyodide.mjs";
import { importedSince, moduleNames, startPyodide } from "./snapshot.js";
import { bundleKey, bundleOf, installBundle, keepBundle, keptBundle } from "./wheels.js";

const BASE = new URL("../", import.meta.url);
const SLICE_SECONDS = 0.06;
const MEASURE_SECONDS = 0.015;
// Measuring yields to drawing: no measuring slice starts within this long of a prediction, so
// while the pen moves (a prediction every frame) each one is answered at once.
const MEASURE_AFTER_PREDICT_MS = 100;
let lastPredict = -Infinity;
// The Pyodide in ../pyodide/ (scripts/build_site.py pins it); part of the snapshot's key.
const PYODIDE_VERSION = "0.27.7";
const STARTED = performance.now();
const PACKAGES = ["numpy", "pycore"];

// The App methods the page calls, and nothing else (pycore.worker_api.call checks its own list too).
const APP_METHODS = new Set([
  "model_info", "predict", "test_digit", "load_model", "reset_model", "export_model", "evaluate", "weights",
  "trace_lesson", "trace_digit", "my_digits_accuracy", "finetune_result", "export_collection", "import_collection",
  "self_check", "model_snapshot", "train_lesson", "continue_lesson", "lesson_predict",
]);
const TRAIN_METHODS = new Set(["train_start", "train_finetune", "train_pause", "train_resume", "train_step", "train_stop"]);
// The calls that read the 10,000 digits: they wait until the digits are in pycore.
const NEEDS_DIGITS = new Set([
  "test_digit", "evaluate", "trace_lesson", "trace_digit", "my_digits_accuracy", "self_check",
  "train_start", "train_finetune",
]);

let pyodide = null;
let app = null;
let pyCall = null;
const queue = [];
let pumping = false;
let bootFailed = false;
// The digits: "loading", "ready" or a message saying why they could not be loaded.
let digits = "loading";
const heldForDigits = [];
// Training state: "idle" (no run), "running", "paused", "done", "diverged", "stopped".
const training = { state: "idle", kind: "train" };

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

function progress(stage, extra = {}) {
  post({ type: "progress", stage, ...extra });
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
  if (brokenForTest) throw new RangeError("Maximum call stack size exceeded (simulated by the test hook)");
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
    const lock = await readLock();
    for (const name of names) {
      const file = lock.packages[name] && lock.packages[name].file_name;
      if (!file) return `The runtime's package list has no ${name}: rebuild the site.`;
      const response = await fetch(wheelURL(lock.packages[name]), { cache: "no-store" });
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

// Downloads started before the interpreter asks for them: fetch() calls for exactly these URLs
// get the response already on its way (same URL, same integrity check), once.
const early = new Map();
const plainFetch = self.fetch.bind(self);
self.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const response = early.get(url);
  if (response) {
    early.delete(url);
    return response;
  }
  return plainFetch(input, init);
};

function fetchEarly(url, init) {
  const response = plainFetch(url, init);
  response.catch(() => {});
  early.set(url, response);
}

// The runtime's package list, and where a package's wheel is.
async function readLock() {
  return (await plainFetch(new URL("pyodide/pyodide-lock.json", BASE))).json();
}
const wheelURL = (entry) => new URL(`pyodide/${entry.file_name}`, BASE);

// The wheels pycore needs, fetched beside the runtime with the sha256 the lock records.
async function prefetchWheels(names) {
  try {
    const lock = await readLock();
    for (const name of names) {
      const entry = lock.packages[name];
      if (!entry) continue;
      const hex = entry.sha256.match(/../g).map((h) => String.fromCharCode(parseInt(h, 16))).join("");
      fetchEarly(wheelURL(entry).href, { integrity: `sha256-${btoa(hex)}` });
    }
  } catch (err) {
    // loadPackage fetches them itself and reports any error.
  }
}

// numpy and pycore into Python: from the copy kept by an earlier visit when it is good, else from
// the wheels. Returns how: "kept" or "loadPackage".
async function installPackages(kept, wheels) {
  const bundle = await kept;
  if (bundle) {
    try {
      installBundle(pyodide, bundle);
      return "kept";
    } catch (err) {
      console.info(`pycore: installing numpy and pycore from their wheels (${String(err.message || err).split("\n")[0]})`);
    }
  }
  await wheels;
  await loadPackages(PACKAGES);
  return "loadPackage";
}

// After a first visit is ready: keep the files loadPackage installed for the next visit
// (wheels.js). The wheels come again from the browser's cache.
async function keepInstalled(key) {
  try {
    const lock = await readLock();
    const wheels = await Promise.all(PACKAGES.map(async (name) => {
      const response = await fetch(wheelURL(lock.packages[name]));
      if (!response.ok) throw new Error(`${name}: ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    }));
    await keepBundle(key, bundleOf(pyodide, wheels));
  } catch (err) {
    console.info(`pycore: numpy and pycore are not kept for the next visit (${err.message})`);
  }
}

// What a visit without them keeps for the next one, off the start-up path (a drawing made just
// after "ready" goes first): the installed files, then the interpreter snapshot (snapshot.js).
// Making the snapshot boots a second interpreter (~2 s of a core), so it waits until the visitor
// has paused (no request and no "activity" from the page for QUIET_MS, no training, no measuring):
// on a two-core machine it would otherwise slow the page while someone draws or steps through.
// `keepSnapshot` is startPyodide's `keep`: only a visit that booted without a snapshot has one;
// `modules` are the modules its start-up imported (snapshot.js preimport keeps the standard library).
function keepForNextVisit(install, keepSnapshot, key, modules) {
  if (install !== "loadPackage" && !keepSnapshot) return;
  setTimeout(async () => {
    if (install === "loadPackage" && (await key)) await keepInstalled(await key);
    if (!keepSnapshot) return;
    while (performance.now() - lastActivity < QUIET_MS || training.state === "running" || measuring) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await keepSnapshot(modules);
  }, KEEP_AFTER_MS);
}

async function siteVersion() {
  const response = await plainFetch(new URL("manifest.json", BASE));
  if (!response.ok) throw new Error(`manifest.json: ${response.status}`);
  return (await response.json()).version;
}

const ms = (t) => Math.round(t);
// How long after "ready" a first visit keeps its installed files (the first drawing goes first).
const KEEP_AFTER_MS = 1000;
// How long the page must be quiet before the snapshot for the next visit is made.
const QUIET_MS = 5000;
// When the page last asked for something or said its visitor did something (client.js activity()).
let lastActivity = performance.now();

async function boot() {
  const started = STARTED;
  const timings = {};
  // Everything that does not need Python starts now, beside the runtime.
  const model = fetchBytes("models/default.npz", "the pretrained model");
  model.catch(() => {});
  const wheels = prefetchWheels(PACKAGES);
  const indexURL = new URL("pyodide/", BASE).href;
  const site = siteVersion();
  site.catch(() => {});
  const key = site.then((version) => bundleKey(indexURL, version), () => null);
  const kept = key.then((k) => (k ? keptBundle(k) : null));
  const { pyodide: py, snapshot, keep: keepSnapshot } = await startPyodide(
    loadPyodide,
    PYODIDE_VERSION,
    { indexURL, stdout: () => {}, stderr: (line) => console.warn(line) },
    { site, onStage: (stage) => progress(stage) },
  );
  pyodide = py;
  // What Python had imported before numpy and pycore, so the snapshot for the next visit can
  // hold the standard-library modules they pull in (keepForNextVisit); a restored interpreter
  // starts with them.
  const bootModules = moduleNames(pyodide);
  timings.modules_at_start = bootModules.split(",").length;
  timings.snapshot = snapshot;
  timings.runtime_ms = ms(performance.now() - started);
  progress("packages");
  timings.install = await installPackages(kept, wheels);
  // Importing them is part of loading them (with a kept copy, numpy's compiled modules are
  // linked here). pycore.worker_api turns every exception into a short message for a person
  // (never a traceback) and keeps a bad setting's field name; CPython tests it.
  const api = pyodide.pyimport("pycore.worker_api");
  timings.packages_ms = ms(performance.now() - started);
  progress("network");
  pyCall = api.call.copy();
  const makeApp = api.make_app.copy();
  const modelBytes = await model;
  timings.model_ms = ms(performance.now() - started);
  try {
    app = makeApp(null, modelBytes);
  } catch (err) {
    throw new Error(`The pretrained model could not be read: ${humanLoadError(err)}`);
  } finally {
    makeApp.destroy();
    api.destroy();
  }
  const info = callApp("info", {});
  if (!info.ok) throw new Error(info.error);
  timings.ready_ms = ms(performance.now() - started);
  info.result.timings = { ...timings };
  info.result.versions.pyodide = pyodide.version;
  post({ type: "ready", info: info.result });
  keepForNextVisit(timings.install, keepSnapshot, key, keepSnapshot ? importedSince(pyodide, bootModules) : []);
  // The digits are not needed for a first drawing: on a first visit their download would only
  // compete with the runtime's own for the network and the CPU, so it starts now.
  const data = fetchBytes("data/mnist-subset.npz", "the digit file");
  // The digits follow, between requests: a drawing made now is answered first.
  data.then(
    (bytes) => queue.unshift({ attach: bytes, timings }),
    (err) => queue.unshift({ attach: null, error: err.message, timings }),
  ).then(pump);
}

// Read the digits into pycore, then let the calls that waited for them through. The network in
// use is measured on the held-out digits in slices between requests (measureSlice), so that a
// drawing made meanwhile is answered first; "data" is posted once that is done.
let measuring = null;
function attachDigits({ attach, error, timings }, started) {
  let outcome;
  if (attach) {
    outcome = callApp("attach_data", { data: attach, measure: false });
    if (!outcome.ok) outcome.error = `The digit file could not be read: ${outcome.error}`;
  } else {
    outcome = { ok: false, error };
  }
  digits = outcome.ok ? "ready" : outcome.error;
  timings.data_ms = ms(performance.now() - started);
  if (outcome.ok) measuring = { result: outcome.result, timings, started };
  else post({ type: "data", ok: false, error: outcome.error, timings: { ...timings } });
  queue.push(...heldForDigits.splice(0));
}

function measureSlice() {
  // Short slices of a few digits each: a drawing made meanwhile waits at most ~20 ms for one.
  const outcome = sliceCall("measure_slice", { max_seconds: MEASURE_SECONDS, chunk: 8 });
  if (!outcome || (outcome.ok && !outcome.result.done)) return;
  const { result, timings, started } = measuring;
  measuring = null;
  if (outcome.ok) result.model = outcome.result.model;
  timings.measured_ms = ms(performance.now() - started);
  post({ type: "data", ok: true, result, timings: { ...timings } });
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

// A failure below Python (a JavaScript stack overflow, a WebAssembly trap) leaves Pyodide unusable:
// every later call answers "Pyodide already fatally failed". The page hears of it once ("dead"),
// says so and offers Retry, which starts a new worker.
const FATAL = /fatally failed|Maximum call stack|RangeError|unreachable|memory access out of bounds/i;
let dead = false;
// Test hook (the worker's URL has ?testhooks=1): "test_fatal" breaks Pyodide as a fatal error would.
const TEST_HOOKS = new URL(self.location.href).searchParams.get("testhooks") === "1";
let brokenForTest = false;
let failSliceForTest = false; // "test_fail_slice": the next training slice fails before its first batch

function isFatal(err) {
  return err instanceof RangeError || FATAL.test(String((err && err.message) || err));
}

function die(err) {
  dead = true;
  training.state = "idle";
  const why = String((err && err.message) || err).split("\n")[0].slice(0, 200);
  post({ type: "dead", message: `The page's Python failed fatally (${why}) and cannot run any more. Your digits are kept.` });
}

function breakForTest() {
  try {
    pyodide._api.fatal_error(new RangeError("Maximum call stack size exceeded (simulated by the test hook)"));
  } catch (err) {
    // An older or newer Pyodide without this internal: the flag below breaks every call instead.
  }
  brokenForTest = true;
  return { ok: true, result: null };
}

// A call made between requests (a training or measuring slice): its outcome, or null when
// Python died in it (die() has told the page).
function sliceCall(method, params) {
  try {
    return callApp(method, params);
  } catch (err) {
    if (!isFatal(err)) return { ok: false, error: humanLoadError(err) };
    die(err);
    return null;
  }
}

function runSlice(options) {
  const outcome = failSliceForTest ? { ok: false, error: "The first batch failed (simulated by the test hook)." } : sliceCall("train_slice", options);
  failSliceForTest = false;
  if (!outcome) return;
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
  if ("attach" in request) return attachDigits(request, STARTED);
  const { id, method, params } = request;
  if (method === "predict") lastPredict = performance.now();
  if (NEEDS_DIGITS.has(method) && digits !== "ready") {
    if (digits === "loading") heldForDigits.push(request);
    else reply(id, { ok: false, error: digits });
    return;
  }
  if (dead) return reply(id, { ok: false, error: "The page's Python has failed: press Retry to start it again." });
  let outcome;
  try {
    if (method === "test_fatal" && TEST_HOOKS) outcome = breakForTest();
    else if (method === "test_fail_slice" && TEST_HOOKS) outcome = { ok: true, result: (failSliceForTest = true) };
    else if (TRAIN_METHODS.has(method)) outcome = handleTraining(method, params || {});
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
    if (isFatal(err)) {
      reply(id, outcome);
      return die(err);
    }
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

// Wait `ms`, or less when a request arrives (self.onmessage calls wake).
let wake = null;
function pause(ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wake = null;
      resolve();
    };
    const timer = setTimeout(done, ms);
    wake = done;
  });
}

async function pump() {
  if (pumping || !app) return;
  pumping = true;
  try {
    for (;;) {
      if (queue.length) handle(queue.shift());
      else if (training.state === "running" && !dead) runSlice({ max_seconds: SLICE_SECONDS });
      else if (measuring && !dead) {
        const wait = MEASURE_AFTER_PREDICT_MS - (performance.now() - lastPredict);
        if (wait > 0) await pause(wait);
        else measureSlice();
      } else break;
      await nextTask();
    }
  } finally {
    pumping = false;
  }
}

self.onmessage = (event) => {
  const request = event.data;
  lastActivity = performance.now();
  if (!request || typeof request.id !== "number") return; // {type: "activity"} and the like
  if (bootFailed) {
    post({ id: request.id, ok: false, error: "The Python runtime failed to load." });
    return;
  }
  queue.push(request);
  if (wake) wake();
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
