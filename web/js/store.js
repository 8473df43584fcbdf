// The one owner of the page's state: what pycore told us at start-up (info, with the catalogue of
// settings, recipes and lessons), the network in use and where it came from, the training run and
// the Train settings the learner has chosen. Every training and model call to the worker goes
// through here; panels and persistence subscribe to one typed event instead of poking each other.
//
//   const store = createStore(client);
//   const unsubscribe = store.subscribe((event) => { if (event.type === "model") ... });
//
// Events (one shape, {type, ...}):
//   {type: "ready", info}                  the worker is up (again, after Retry) with the pretrained net
//   {type: "model", model, reason}         the network in use changed; reason is one of
//       "ready" (pretrained, after start-up), "run-start", "run-progress" (a running run changed the
//       weights; at most once a second), "run-rest" (the run paused, stepped or ended),
//       "load" (a model file: provenance "uploaded" or "restored"), "reset" (back to the pretrained)
//   {type: "measured", model}              the same network's held-out accuracy was measured
//   {type: "run", run}                     the run's state changed, or a new run started (run.id)
//   {type: "progress", run, progress}      one training slice's figures (see App.train_slice)
//   {type: "settings", settings, source}   the Train settings changed ("form", "recipe", "restored",
//       "run": a run started, and the form shows the settings it runs with)
//
// store.model is App.model_info() plus `provenance` (what the network is: "pretrained",
// "training", "trained", "finetuned", "untrained" (a run that ended before its first batch),
// "uploaded", "restored") and `version`, a number that changes exactly when the weights may have
// changed (a batch trained, a file loaded, a new run), so a view can tell whether the figures it
// measured still belong to the network in use. store.run also keeps `base` (the network the run
// started from: {provenance, sizes, test_accuracy}) and `verdict` (pycore.verdict, once it ended).
//
// The worker keeps its own copy of the run's state to slice the training; this is the page's one.

import { formSettings, matchRecipe, recipeFormValues, runFormValues } from "./train-helpers.js";

const ACTIVE = new Set(["running", "paused"]);
const RESTING = new Set(["paused", "done", "stopped", "diverged"]);
const MODEL_TICK_MS = 1000;
const FIRST_RECIPE = "small";

/** A run that has not started: what the store holds before the first one. */
function idleRun() {
  return {
    id: 0, state: "idle", kind: "train", settings: null, totalSteps: 0, batchesPerEpoch: 1, step: 0, epoch: 0, error: null,
    base: null, verdict: null,
  };
}

export function createStore(client) {
  const listeners = new Set();
  const store = {
    info: null,
    model: null,
    run: idleRun(),
    settings: { recipe: FIRST_RECIPE },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get active() {
      return ACTIVE.has(store.run.state);
    },
  };
  const emit = (event) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.error(err);
      }
    }
  };
  const state = makeState(store, emit);
  const settings = settingsMethods(store, emit);
  // The form shows the settings of the run in the charts (a fine-tune's too).
  const showRunSettings = (runSettings) => {
    if (store.info?.catalog) store.setSettings(runFormValues(store.info.catalog, runSettings), "run");
  };
  const training = trainingMethods(store, client, state, showRunSettings);
  Object.assign(store, settings.methods, training.methods, modelMethods(store, client, state));
  /** Tell the store the held-out accuracy just measured for the network in use (Inspect). */
  store.measured = (accuracy) => state.measured(accuracy);
  listen(store, client, { emit, state, settings, training });
  return store;
}

/** setModel and setRun: change the store's model or run and tell the listeners. */
function makeState(store, emit) {
  let modelTimer = null;
  let version = 0;

  function setModel(model, reason) {
    // Only a rest or progress keeps the version: the weights changed batch by batch (bumped there).
    if (!["run-progress", "run-rest"].includes(reason)) version += 1;
    store.model = { ...model, version };
    if (reason !== "run-progress") {
      clearTimeout(modelTimer);
      modelTimer = null;
    }
    emit({ type: "model", model, reason });
  }

  return {
    setModel,
    setRun(changes) {
      store.run = { ...store.run, ...changes };
      emit({ type: "run", run: store.run });
    },
    // Weights change on every slice; listeners hear of it at most once a second.
    modelTick() {
      if (modelTimer) return;
      modelTimer = setTimeout(() => {
        modelTimer = null;
        if (store.run.state === "running") setModel(store.model, "run-progress");
      }, MODEL_TICK_MS);
    },
    restModel() {
      const { kind, state, step } = store.run;
      const provenance = ACTIVE.has(state) ? "training" : kind === "finetune" ? "finetuned" : step === 0 ? "untrained" : "trained";
      setModel({ ...store.model, provenance }, "run-rest");
    },
    emitProgress(progress) {
      store.run = { ...store.run, step: progress.step, epoch: progress.epoch, verdict: progress.verdict || store.run.verdict };
      if (progress.losses?.length) version += 1;
      const accuracy = progress.test_accuracy ?? store.model.test_accuracy;
      store.model = { ...store.model, version, test_accuracy: accuracy, steps_trained: progress.step };
      emit({ type: "progress", run: store.run, progress });
    },
    measured(accuracy) {
      store.model = { ...store.model, test_accuracy: accuracy };
      emit({ type: "measured", model: store.model });
    },
  };
}

/** The worker's "ready" (after start-up and after Retry) and "train" events. */
function listen(store, client, { emit, state, settings, training }) {
  client.on("ready", (info) => {
    const first = !store.info;
    store.info = info;
    if (first) settings.settle({ ...recipeFormValues(info.catalog, FIRST_RECIPE), ...store.settings });
    emit({ type: "ready", info });
    // A restarted worker has no run and the pretrained network again.
    if (store.run.state !== "idle") state.setRun({ state: ACTIVE.has(store.run.state) ? "stopped" : store.run.state });
    state.setModel({ ...info.model, provenance: "pretrained" }, "ready");
    if (first) emit({ type: "settings", settings: store.settings, source: "ready" });
  });

  // The digits arrive after "ready"; pycore then measures the network in use on the held-out ones.
  client.on("data", (message) => {
    const accuracy = message.ok ? message.result?.model?.test_accuracy : null;
    if (Number.isFinite(accuracy) && store.model && !ACTIVE.has(store.run.state)) state.measured(accuracy);
  });

  client.on("train", (message) => {
    // A start's own "running" arrives just before its reply, which sets up the new run.
    if (training.starting() && !message.progress && !message.error) return;
    if (message.error) {
      state.setRun({ state: "stopped", error: message.error });
      state.restModel();
      return;
    }
    const p = message.progress;
    if (p) state.emitProgress(p);
    const changed = message.state !== store.run.state;
    if (changed) state.setRun({ state: message.state });
    if (message.state === "running" && p) state.modelTick();
    else if (RESTING.has(message.state) && (changed || p)) state.restModel();
  });
}

function trainingMethods(store, client, { setRun, setModel }, showRunSettings) {
  let pendingStarts = 0;

  async function begin(method, params, kind, paused) {
    pendingStarts += 1;
    let reply;
    try {
      reply = await client.call(method, params);
    } finally {
      pendingStarts -= 1;
    }
    const base = store.model && { provenance: store.model.provenance, sizes: store.model.sizes, test_accuracy: store.model.test_accuracy };
    setRun({
      id: store.run.id + 1, kind, state: paused ? "paused" : "running", error: null, verdict: null, base,
      settings: reply.settings, totalSteps: reply.total_steps, batchesPerEpoch: reply.batches_per_epoch, step: 0, epoch: 0,
    });
    setModel({ ...reply.model, provenance: "training" }, "run-start");
    showRunSettings(reply.settings);
    return reply;
  }

  return {
    starting: () => pendingStarts > 0,
    methods: {
      /** Start a run with these settings (checked by pycore; a bad one rejects with its `field`). */
      startTraining: (settings, { fresh = true, paused = false } = {}) =>
        begin("train_start", { settings, fresh, paused }, "train", paused),
      /** Go on training the current network on my digits (kwargs as App.start_finetune takes). */
      startFinetune: (kwargs, { paused = false } = {}) => begin("train_finetune", { ...kwargs, paused }, "finetune", paused),
      pause: () => client.call("train_pause"),
      resume: () => client.call("train_resume"),
      step: () => client.call("train_step"),
      stop: () => client.call("train_stop"),
    },
  };
}

function modelMethods(store, client, { setRun, setModel }) {
  function endRun() {
    if (store.run.state !== "idle") setRun({ state: "idle" });
  }

  return {
    /** Use the network in a model file; a bad file rejects and changes nothing. */
    async loadModel(bytes, provenance = "uploaded") {
      const model = await client.call("load_model", { data: bytes });
      endRun();
      setModel({ ...model, provenance }, "load");
      return model;
    },
    async resetModel() {
      const model = await client.call("reset_model");
      endRun();
      setModel({ ...model, provenance: "pretrained" }, "reset");
      return model;
    },
    exportModel: () => client.call("export_model"),
    /** {bytes, default (still the pretrained network?), model}: what persistence keeps. */
    snapshotModel: () => client.call("model_snapshot"),
  };
}

// Settings are values as the form holds them (text as typed, booleans for checkboxes); `recipe`
// names the "Start from" preset they match, or "custom".
function settingsMethods(store, emit) {
  function settle(values) {
    const catalog = store.info?.catalog;
    if (catalog) {
      const known = new Set(formSettings(catalog).map((s) => s.name));
      values = Object.fromEntries(Object.entries(values).filter(([k]) => k === "recipe" || known.has(k)));
    }
    const recipe = values.recipe === "custom" || !catalog ? values.recipe : matchRecipe(catalog, values);
    store.settings = { ...values, recipe: recipe || "custom" };
  }

  return {
    settle,
    methods: {
      /** Change the Train settings; a `recipe` among `values` fills that recipe's values first. */
      setSettings(values, source = "form") {
        const catalog = store.info?.catalog;
        const base = values.recipe && values.recipe !== "custom" && catalog ? recipeFormValues(catalog, values.recipe) : {};
        settle({ ...store.settings, ...base, ...values });
        emit({ type: "settings", settings: store.settings, source });
        return store.settings;
      },
    },
  };
}
