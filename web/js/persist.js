// What survives a reload, kept in this browser's IndexedDB: "my digits", the trained model and
// the training settings. Nothing leaves the browser.
//
// Store "digits": {id (auto), label 0..9, pixels Uint8Array(784) as the network sees them, added}.
// Store "state": key-value; "model" {bytes, saved (ms since 1970), sizes}, "settings" {name: value}.
//
// mountPersist(ctx) restores the model and the settings at start-up (with a visible note and an
// explicit Reset that forgets them) and saves the model whenever training pauses, stops or ends
// and whenever another model is loaded. A pretrained model is never stored: saving it forgets.
// It works only through the store: store.setSettings(values, "restored") and
// store.loadModel(bytes, "restored"); the Train form follows the store.

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

export function clearDigits() {
  return withStore("digits", "readwrite", (s) => request(s.clear()));
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
      await Promise.all([deleteState("model"), deleteState("settings")]);
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
// another one is loaded; the pretrained one is never stored (saving it forgets ours).
function persistModel(store, note) {
  const body = document.body;
  let timer = null;
  let saving = Promise.resolve();

  async function saveModel() {
    const snapshot = await store.snapshotModel();
    if (snapshot.default) {
      await deleteState("model");
      return null;
    }
    const record = { bytes: snapshot.bytes, saved: Date.now(), sizes: snapshot.model.sizes };
    await setState("model", record);
    return record;
  }

  function saveSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      saving = saving
        .then(saveModel)
        .then((record) => {
          body.dataset.modelSaved = record ? String(record.saved) : "none";
        })
        .catch((err) => console.warn("The model could not be saved in this browser:", messageOf(err)));
    }, SAVE_DELAY_MS);
  }

  async function restore() {
    let record = null;
    try {
      record = await getState("model");
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
      await deleteState("model").catch(() => {});
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
