// The page's one link to the worker: requests become promises, events become callbacks.
//
//   const client = new WorkerClient();
//   client.on("ready", (info) => ...);
//   const result = await client.call("predict", {pixels, width, height});
//
// Events: "progress" {stage} (a start-up stage begins), "ready" info, "data" {ok, timings} (the digits
// are in pycore, after "ready"), "fatal" {message} (loading failed),
// "crash" {message} (the worker died, stopped answering, or its Python failed fatally), "train" {state, progress?, error?},
// "state" (one of "loading", "ready", "error"). A failed call rejects with a WorkerError whose
// message is written for a person; `field` names the bad setting for training settings.

// A request waits behind the training slice in progress, so the limit is generous; a worker that
// stays silent this long is treated as dead (reported, with Retry).
import { takeEarlyWorker, workerURL } from "./early.js";
import { testHooks } from "./testhooks.js";

const CALL_TIMEOUT_MS = 90_000;
const SILENT_LOAD_MS = 120_000;

export class WorkerError extends Error {
  constructor(message, { field = null, detail = null } = {}) {
    super(message);
    this.name = "WorkerError";
    this.field = field;
    this.detail = detail;
  }
}

export class WorkerClient {
  constructor(url = workerURL()) {
    this.url = url;
    this.handlers = new Map();
    this.pending = new Map();
    this.nextId = 1;
    this.worker = null;
    this.state = "loading";
    this.info = null;
    this.start();
    const hooks = testHooks();
    if (hooks) {
      hooks.breakPython = () => this.call("test_fatal");
      hooks.failNextSlice = () => this.call("test_fail_slice");
    }
  }

  /** Subscribe to an event; returns a function that unsubscribes. */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type).delete(handler);
  }

  emit(type, payload) {
    for (const handler of this.handlers.get(type) || []) {
      try {
        handler(payload);
      } catch (err) {
        console.error(err);
      }
    }
  }

  setState(state) {
    this.state = state;
    this.emit("state", state);
  }

  get ready() {
    return this.state === "ready";
  }

  start() {
    this.setState("loading");
    // The first start takes the worker early.js started; a Retry starts a new one.
    const early = this.url.href === workerURL().href ? takeEarlyWorker() : null;
    const worker = early ? early.worker : new Worker(this.url, { type: "module" });
    this.worker = worker;
    this.armLoadWatchdog();
    if (early) {
      // Listen from the next task, after whoever made this client has subscribed; until then
      // early.js keeps what the worker says and hands it over in the order it came.
      setTimeout(() => {
        this.listen(worker);
        early.handOver((event) => this.handle(worker, event));
      }, 0);
    } else {
      this.listen(worker);
    }
  }

  listen(worker) {
    worker.onmessage = (event) => this.handle(worker, event);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.handle(worker, event);
    };
    worker.onmessageerror = (event) => this.handle(worker, event);
  }

  handle(worker, event) {
    if (event.type === "message") this.receive(worker, event.data);
    else if (event.type === "messageerror") this.die(worker, "The background worker sent a message that could not be read.");
    else {
      const detail = event.message ? ` (${event.message})` : "";
      this.die(worker, `The background worker stopped unexpectedly${detail}.`);
    }
  }

  armLoadWatchdog() {
    clearTimeout(this.loadTimer);
    const worker = this.worker;
    this.loadTimer = setTimeout(() => {
      if (this.worker === worker && this.state === "loading") {
        this.die(worker, "Loading stopped making progress. Check your connection and try again.");
      }
    }, SILENT_LOAD_MS);
  }

  receive(worker, message) {
    if (worker !== this.worker || !message) return;
    if (typeof message.id === "number") {
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      if (message.ok) entry.resolve(message.result);
      else entry.reject(new WorkerError(message.error || "The request failed.", { field: message.field || null, detail: message.message || null }));
      return;
    }
    switch (message.type) {
      case "progress":
        this.armLoadWatchdog();
        this.emit("progress", message);
        break;
      case "ready":
        clearTimeout(this.loadTimer);
        this.info = message.info;
        this.setState("ready");
        for (const entry of this.pending.values()) this.armCallTimer(entry);
        this.emit("ready", message.info);
        break;
      case "dead":
        // Pyodide failed fatally after start-up: the worker can no longer answer anything.
        this.die(worker, message.message);
        break;
      case "fatal":
        clearTimeout(this.loadTimer);
        this.setState("error");
        this.failPending("The Python runtime failed to load.");
        this.emit("fatal", { message: message.message });
        break;
      default:
        this.emit(message.type, message);
    }
  }

  armCallTimer(entry) {
    clearTimeout(entry.timer);
    const worker = this.worker;
    entry.timer = setTimeout(() => {
      this.die(worker, `The background worker did not answer "${entry.method}" within ${Math.round(entry.timeout / 1000)} seconds (it may have run out of memory, or a batch was too large to finish).`);
    }, entry.timeout);
  }

  /**
   * Tell the worker the visitor did something (at most once a second): it holds background work
   * for the next visit until the page has been quiet for a while (worker.js keepForNextVisit).
   */
  activity() {
    const now = performance.now();
    if (!this.worker || now - (this.lastActivity ?? -Infinity) < 1000) return;
    this.lastActivity = now;
    this.worker.postMessage({ type: "activity" });
  }

  /** Call a worker method with keyword arguments; resolves to the converted result. */
  call(method, params = {}, { transfer = [], timeout = CALL_TIMEOUT_MS } = {}) {
    if (this.state === "error" || !this.worker) {
      return Promise.reject(new WorkerError("The background worker is not running. Press Retry to restart it."));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry = { method, resolve, reject, timer: null, timeout };
      this.pending.set(id, entry);
      if (this.state === "ready") this.armCallTimer(entry);
      this.worker.postMessage({ id, method, params }, transfer);
    });
  }

  failPending(message) {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new WorkerError(message));
    }
    this.pending.clear();
  }

  die(worker, message) {
    if (worker !== this.worker || this.state === "error") return;
    clearTimeout(this.loadTimer);
    worker.terminate();
    this.setState("error");
    this.failPending(message);
    this.emit("crash", { message });
  }

  /** Stop the worker (whatever it is doing) and start a fresh one. */
  restart() {
    clearTimeout(this.loadTimer);
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.failPending("The background worker was restarted.");
    this.info = null;
    this.start();
  }
}
