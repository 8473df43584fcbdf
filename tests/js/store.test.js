import assert from "node:assert/strict";
import { test } from "node:test";
import { createStore } from "../../web/js/store.js";
import { CATALOG } from "./catalog.js";

const MODEL = { sizes: [784, 10, 10], activations: ["relu", "softmax"], loss: "cross_entropy", dtype: "float32", test_accuracy: 0.9, training: {} };

/** A stand-in for WorkerClient: on(), call() answered by `replies`, and emit() to play the worker. */
function fakeClient(replies = {}) {
  const handlers = {};
  const calls = [];
  return {
    calls,
    on(type, handler) {
      (handlers[type] ||= []).push(handler);
      return () => {};
    },
    emit(type, payload) {
      for (const handler of handlers[type] || []) handler(payload);
    },
    async call(method, params = {}) {
      calls.push([method, params]);
      const reply = replies[method];
      if (reply instanceof Error) throw reply;
      return typeof reply === "function" ? reply(params) : reply;
    },
  };
}

function started(client) {
  const store = createStore(client);
  const events = [];
  store.subscribe((event) => events.push(event));
  client.emit("ready", { model: MODEL, catalog: CATALOG, versions: {} });
  return { store, events };
}

const START = { settings: { epochs: 1, batch_size: 32 }, total_steps: 250, batches_per_epoch: 250, model: { ...MODEL, sizes: [784, 16, 10] } };

test("ready brings the info, the pretrained model and the first recipe's settings", () => {
  const { store, events } = started(fakeClient());
  assert.deepEqual(events.map((e) => e.type), ["ready", "model", "settings"]);
  assert.equal(store.model.provenance, "pretrained");
  assert.equal(events[1].reason, "ready");
  assert.equal(store.settings.recipe, "small");
  assert.equal(store.settings.hidden, "10");
});

test("settings restored before the worker is ready survive it, unknown names dropped", () => {
  const client = fakeClient();
  const store = createStore(client);
  store.setSettings({ hidden: "64", preset: "small" }, "restored");
  client.emit("ready", { model: MODEL, catalog: CATALOG });
  assert.equal(store.settings.hidden, "64");
  assert.equal(store.settings.recipe, "custom");
  assert.equal("preset" in store.settings, false);
});

test("choosing a recipe fills its values; editing one makes them custom", () => {
  const { store, events } = started(fakeClient());
  store.setSettings({ recipe: "default" }, "recipe");
  assert.equal(store.settings.hidden, "1024, 256");
  assert.equal(store.settings.recipe, "default");
  store.setSettings({ lr: "0.5" }, "form");
  assert.equal(store.settings.recipe, "custom");
  assert.deepEqual(events.at(-1), { type: "settings", settings: store.settings, source: "form" });
});

test("a training run goes from start through progress to done, with the model's provenance", async () => {
  const client = fakeClient({ train_start: START });
  const { store, events } = started(client);
  events.length = 0;
  // The worker's own "running" comes before the reply: the reply sets the new run up.
  const reply = store.startTraining({ epochs: "1" }, { paused: false });
  client.emit("train", { kind: "train", state: "running" });
  assert.equal(await reply, START);
  assert.deepEqual(client.calls.at(-1), ["train_start", { settings: { epochs: "1" }, fresh: true, paused: false }]);
  assert.equal(store.run.id, 1);
  assert.equal(store.run.state, "running");
  assert.equal(store.run.totalSteps, 250);
  assert.deepEqual(store.model.sizes, [784, 16, 10]);
  assert.equal(store.model.provenance, "training");
  client.emit("train", { kind: "train", state: "running", progress: { step: 5, epoch: 0, losses: [] } });
  assert.equal(store.run.step, 5);
  client.emit("train", { kind: "train", state: "done", progress: { step: 250, epoch: 1, losses: [] } });
  assert.equal(store.run.state, "done");
  assert.equal(store.model.provenance, "trained");
  assert.deepEqual(events.map((e) => e.type + (e.reason ? `:${e.reason}` : "")),
    ["run", "model:run-start", "settings:run", "progress", "progress", "run", "model:run-rest"].map((t) => t.replace("settings:run", "settings")));
  // The form shows the settings the run started with.
  assert.equal(events[2].source, "run");
});

test("the model's version changes with the weights, not with what is said about them", async () => {
  const client = fakeClient({ train_start: START });
  const { store, events } = started(client);
  const pretrained = store.model.version;
  await store.startTraining({}, { paused: true });
  const fresh = store.model.version;
  assert.notEqual(fresh, pretrained);
  assert.deepEqual(store.run.base, { provenance: "pretrained", sizes: MODEL.sizes, test_accuracy: 0.9 });
  client.emit("train", { kind: "train", state: "paused", progress: { step: 1, epoch: 0, losses: [2.3] } });
  const stepped = store.model.version;
  assert.notEqual(stepped, fresh);
  client.emit("train", { kind: "train", state: "stopped" });
  assert.equal(store.model.version, stepped, "a run coming to rest changes no weight");
  store.measured(0.42);
  assert.equal(store.model.version, stepped);
  assert.equal(store.model.test_accuracy, 0.42);
  assert.equal(events.at(-1).type, "measured");
});

test("a run that ends before its first batch leaves an untrained network; the verdict is kept", async () => {
  const client = fakeClient({ train_start: START });
  const { store } = started(client);
  await store.startTraining({});
  client.emit("train", { kind: "train", state: "stopped", error: "Iterator is too large" });
  assert.equal(store.model.provenance, "untrained");
  await store.startTraining({});
  const verdict = { learned: false, reason: "chance", cause: "learning rate", suggestion: { lr: 0.001 }, message: "The run did not learn." };
  client.emit("train", { kind: "train", state: "done", progress: { step: 250, epoch: 1, losses: [9], test_accuracy: 0.096, verdict } });
  assert.equal(store.run.verdict, verdict);
  assert.equal(store.model.provenance, "trained");
  assert.equal(store.model.test_accuracy, 0.096);
});

test("a fine-tune is a run of its own kind and leaves a fine-tuned model", async () => {
  const client = fakeClient({ train_finetune: START });
  const { store } = started(client);
  await store.startFinetune({ epochs: 2 }, { paused: true });
  assert.deepEqual(client.calls.at(-1), ["train_finetune", { epochs: 2, paused: true }]);
  assert.equal(store.run.kind, "finetune");
  assert.equal(store.run.state, "paused");
  client.emit("train", { kind: "finetune", state: "stopped" });
  assert.equal(store.model.provenance, "finetuned");
});

test("a worker error stops the run and says why", async () => {
  const client = fakeClient({ train_start: START });
  const { store } = started(client);
  await store.startTraining({});
  client.emit("train", { kind: "train", state: "stopped", error: "Out of memory" });
  assert.equal(store.run.state, "stopped");
  assert.equal(store.run.error, "Out of memory");
});

test("a refused start rejects with the worker's error and changes nothing", async () => {
  const refused = Object.assign(new Error("lr: must be a number"), { field: "lr" });
  const client = fakeClient({ train_start: refused });
  const { store } = started(client);
  await assert.rejects(store.startTraining({ lr: "fast" }), (err) => err.field === "lr");
  assert.equal(store.run.state, "idle");
  assert.equal(store.run.id, 0);
});

test("loading and resetting a model end the run and say where the model came from", async () => {
  const client = fakeClient({ train_start: START, load_model: MODEL, reset_model: MODEL });
  const { store, events } = started(client);
  await store.startTraining({});
  await store.loadModel(new Uint8Array(3), "restored");
  assert.equal(store.run.state, "idle");
  assert.equal(store.model.provenance, "restored");
  assert.equal(events.at(-1).reason, "load");
  await store.resetModel();
  assert.equal(store.model.provenance, "pretrained");
  assert.equal(events.at(-1).reason, "reset");
});

test("a restarted worker stops the page's run and brings the pretrained model back", async () => {
  const client = fakeClient({ train_start: START });
  const { store } = started(client);
  store.setSettings({ hidden: "64" }, "form");
  await store.startTraining({});
  client.emit("ready", { model: MODEL, catalog: CATALOG });
  assert.equal(store.run.state, "stopped");
  assert.equal(store.model.provenance, "pretrained");
  assert.equal(store.settings.hidden, "64", "the learner's settings are kept");
});

test("unsubscribing stops the events", () => {
  const client = fakeClient();
  const store = createStore(client);
  let count = 0;
  const off = store.subscribe(() => count++);
  off();
  client.emit("ready", { model: MODEL, catalog: CATALOG });
  assert.equal(count, 0);
});
