// What survives a reload, kept in this browser's IndexedDB: "my digits", the trained model and
// the training settings. Nothing leaves the browser.
//
// Store "digits": {id (auto), label 0..9, pixels Uint8Array(784) as the network sees them, added}.
// Store "state": key-value; "model@<saved>" {bytes, saved (ms since 1970), sizes}, one per saved
// model, "model-current" the key of the one a reload restores (older pages kept it as "model"),
// "settings" {name: value}.
//
// mountPersist(ctx) restores the model and the settings at start-up (with a visible note and an
// explicit Reset that forgets them) and saves the model whenever training pauses, stops or ends
// and whenever another model is loaded. A pretrained model is never stored: saving it forgets.
// It works only through the store: store.setSettings(values, "restored") and
// store.loadModel(bytes, "restored"); the Train form follows the store.

import { MAX_STORED_BYTES, isModelKey, modelKey, saveDecision, saveLimitMs } from "./persist-helpers.js";
import { testHooks } from "./testhooks.js";
import { el, messageOf, sizesText } from "./ui.js";

const DB_NAME = "pycore";
const DB_VERSION = 1;
const SAVE_DELAY_MS = 400;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// One short-lived connection per operation: no connection kept in module state, and a second tab
// upgrading the database never finds one of ours blocking it.
function open() {
  const req = indexedDB.open(DB_NAME, DB_VERSION);
  req.onupgradeneeded = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains("digits")) db.createObjectStore("digits", { keyPath: "id", autoIncrement: true });
    if (!db.objectStoreNames.contains("state")) db.createObjectStore("state");
  };
  return request(req);
}

async function withStore(name, mode, work) {
  const db = await open();
  try {
    const tx = db.transaction(name, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("The browser storage refused the change."));
    });
    const result = await work(tx.objectStore(name));
    await done;
    return result;
  } finally {
    db.close();
  }
}

/** Every stored digit, oldest first. */
export function allDigits() {
  return withStore("digits", "readonly", (s) => request(s.getAll()));
}

/** Store digits ({label, pixels}); resolves to the stored records with their ids. */
export function addDigits(digits) {
  return withStore("digits", "readwrite", (s) =>
    Promise.all(
      digits.map(async (d) => {
        const record = { label: d.label, pixels: d.pixels, added: d.added || Date.now() };
        record.id = await request(s.add(record));
        return record;
      }),
    ),
  );
}

export function deleteDigit(id) {
  return withStore("digits", "readwrite", (s) => request(s.delete(id)));
}

/** Delete every stored digit; resolves to how many there were. */
export function clearDigits() {
  return withStore("digits", "readwrite", async (s) => {
    const count = await request(s.count());
    await request(s.clear());
    return count;
  });
}

/**
 * A channel on which every tab of this page says "the stored digits changed" (a BroadcastChannel;
 * a tab does not hear its own messages). Null where the browser has none.
 */
export function digitsChannel() {
  return typeof BroadcastChannel === "function" ? new BroadcastChannel("pycore-digits") : null;
}

function getState(key) {
  return withStore("state", "readonly", (s) => request(s.get(key)));
}

function setState(key, value) {
  return withStore("state", "readwrite", (s) => request(s.put(value, key)));
}

function deleteState(key) {
  return withStore("state", "readwrite", (s) => request(s.delete(key)));
}

function when(ms) {
  return new Date(ms).toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** A seed for a new run: a whole number a person can read and type back. */
export function newSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000;
}

/** Keep the Train settings and the trained model across reloads (see the top of this file). */
export function mountPersist(ctx) {
  const { store } = ctx;
  const note = restoreNote();
  const settings = persistSettings(store);
  const model = persistModel(store, note);

  note.onReset(async () => {
    model.cancel();
    settings.cancel();
    try {
      await Promise.all([forgetModel(), deleteState("settings")]);
      await store.resetModel();
      if (!store.active) store.setSettings({ recipe: "small" }, "reset");
      note.say("Forgot your saved model and settings: the pretrained network is back.");
      document.body.dataset.restored = "reset";
    } catch (err) {
      note.say(`Could not reset: ${messageOf(err)}`);
    }
  });
  settings.restore();
}

/** The note above the page that says what was restored, with its Reset button. */
function restoreNote() {
  const text = el("span", { class: "restore-text" });
  const reset = el("button", { type: "button", class: "button small", "data-testid": "restore-reset", text: "Reset" });
  const note = el("div", { class: "restore-note", role: "status", "data-testid": "restore-note", hidden: true }, text, " ", reset);
  document.querySelector(".layout").before(note);
  return {
    say(message, { resettable = false } = {}) {
      text.textContent = message;
      reset.hidden = !resettable;
      note.hidden = !message;
    },
    onReset(handler) {
      reset.addEventListener("click", handler);
    },
  };
}

// Settings are saved (a moment after the last change) whenever the learner changes them.
function persistSettings(store) {
  let timer = null;
  store.subscribe((event) => {
    // Skipped: what came from here (restored), the first values, and Reset (which forgets them).
    if (event.type !== "settings" || ["restored", "ready", "reset"].includes(event.source)) return;
    clearTimeout(timer);
    timer = setTimeout(() => setState("settings", { ...store.settings }).catch((err) => console.warn(err)), SAVE_DELAY_MS);
  });
  return {
    cancel() {
      clearTimeout(timer);
    },
    restore() {
      getState("settings")
        .then((values) => values && store.setSettings(values, "restored"))
        .catch(() => {});
    },
  };
}

// The model is saved when a run rests (paused, stepped, finished, stopped, diverged) and when
// another one is loaded; the pretrained one is never stored (saving it forgets ours). A save can
// never destroy: a network that is not usable (a run with no completed batch, non-finite weights)
// is not saved, so the one stored stays; a new model is written under a new key and only then
// made current, in one transaction; a save that does not settle within its time limit is
// abandoned with a visible note, and the next save goes ahead; a model too large to store says so
// and stays in memory until the tab closes. body[data-model-save] says what the last save did.
function persistModel(store, note) {
  const body = document.body;
  const saveNote = el("p", { class: "save-note", role: "status", "data-testid": "save-note", hidden: true });
  document.querySelector(".layout").before(saveNote);
  const hooks = saveHooks();
  let timer = null;
  let saving = Promise.resolve();

  function tell(outcome, message = "") {
    body.dataset.modelSave = outcome;
    saveNote.textContent = message;
    saveNote.hidden = !message;
  }

  async function saveModel() {
    const snapshot = await store.snapshotModel();
    const decision = saveDecision(snapshot, { maxBytes: hooks.maxBytes(), runSteps: store.run.state === "idle" ? null : store.run.step });
    if (decision.action === "forget") {
      await forgetModel();
      body.dataset.modelSaved = "none";
      tell("forgotten");
    } else if (decision.action === "skip") {
      tell("skipped");
    } else if (decision.action === "too-large") {
      tell("too-large", `This network is not kept in this browser: ${decision.why}. It stays in use until this tab closes; a reload brings back the last model saved.`);
    } else {
      const record = { bytes: snapshot.bytes, saved: Date.now(), sizes: snapshot.model.sizes };
      await writeModel(record, hooks);
      body.dataset.modelSaved = String(record.saved);
      tell("saved");
    }
  }

  function saveSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      saving = saving.then(saveModel).catch((err) => {
        const abandoned = err instanceof SaveTimeout;
        tell(abandoned ? "abandoned" : "failed", abandoned
          ? `${err.message} Your network stays in use until this tab closes; the next save will try again.`
          : `The model could not be saved in this browser: ${messageOf(err)}`);
      });
    }, SAVE_DELAY_MS);
  }

  async function restore() {
    let record = null;
    try {
      record = await readModel();
    } catch (err) {
      note.say(`This browser's storage is not available, so nothing will be kept after a reload (${messageOf(err)}).`);
      body.dataset.restored = "none";
      return;
    }
    if (!record) {
      body.dataset.restored = "none";
      return;
    }
    try {
      const model = await store.loadModel(record.bytes, "restored");
      note.say(`Restored your model (${sizesText(model.sizes)}) from ${when(record.saved)}.`, { resettable: true });
      body.dataset.restored = "model";
    } catch (err) {
      await forgetModel().catch(() => {});
      note.say(`Your saved model could not be loaded (${messageOf(err)}); the pretrained one is in use.`);
      body.dataset.restored = "failed";
    }
  }

  store.subscribe((event) => {
    if (event.type === "ready") restore(); // a restarted worker has the pretrained model again
    else if (event.type !== "model") return;
    else if (event.reason === "run-rest" || event.reason === "reset" || (event.reason === "load" && event.model.provenance !== "restored")) saveSoon();
  });
  if (store.info) restore();
  return {
    cancel() {
      clearTimeout(timer);
    },
  };
}

class SaveTimeout extends Error {}

function withTimeout(promise, ms, message) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new SaveTimeout(message)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Write under a new key, then point "model-current" at it and drop every other stored model in
// one transaction: a reload finds either the old model or the new one, never half of one.
async function writeModel(record, hooks) {
  const key = modelKey(record.saved);
  const limit = hooks.limitMs(record.bytes.length);
  const seconds = Math.round(limit / 1000);
  const write = hooks.hang() ? new Promise(() => {}) : setState(key, record);
  await withTimeout(write, limit, `Saving your model in this browser did not finish within ${seconds} s and was given up.`);
  await withTimeout(
    withStore("state", "readwrite", async (s) => {
      const keys = await request(s.getAllKeys());
      s.put(key, "model-current");
      for (const k of keys) if ((isModelKey(k) && k !== key) || k === "model") s.delete(k);
    }),
    limit,
    `Saving your model in this browser did not finish within ${seconds} s and was given up.`,
  );
}

// The current model's record; a store written before "model-current" keeps it under "model".
async function readModel() {
  const key = await getState("model-current");
  return key ? (await getState(key)) || null : (await getState("model")) || null;
}

function forgetModel() {
  return withStore("state", "readwrite", async (s) => {
    const keys = await request(s.getAllKeys());
    for (const k of keys) if (isModelKey(k) || k === "model" || k === "model-current") s.delete(k);
  });
}

// Hooks for the browser tests (?testhooks=1): pycoreTest.hangSaves(n) makes the next n model
// writes never settle, saveLimitMs(ms) and maxStoredBytes(n) shrink the limits.
function saveHooks() {
  const hooks = testHooks();
  const state = { hang: 0, limit: null, max: null };
  if (hooks) {
    hooks.hangSaves = (n = 1) => {
      state.hang = n;
    };
    hooks.saveLimitMs = (ms) => {
      state.limit = ms;
    };
    hooks.maxStoredBytes = (n) => {
      state.max = n;
    };
  }
  return {
    hang() {
      if (state.hang <= 0) return false;
      state.hang -= 1;
      return true;
    },
    limitMs: (bytes) => state.limit ?? saveLimitMs(bytes),
    maxBytes: () => state.max ?? MAX_STORED_BYTES,
  };
}
