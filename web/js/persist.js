// What survives a reload, kept in this browser's IndexedDB: "my digits", the trained model and
// the training settings. Nothing leaves the browser.
//
// Store "digits": {id (auto), label 0..9, pixels Uint8Array(784) as the network sees them, added}.
// Store "state": key-value; "model" {bytes, saved (ms since 1970), sizes}, "settings" {name: value}.
//
// mountPersist(ctx) restores the model and the settings at start-up (with a visible note and an
// explicit Reset that forgets them) and saves the model whenever training pauses, stops or ends
// and whenever another model is loaded. A pretrained model is never stored: saving it forgets.

import { byId, el, messageOf, sizesText } from "./ui.js";

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

export function getState(key) {
  return withStore("state", "readonly", (s) => request(s.get(key)));
}

export function setState(key, value) {
  return withStore("state", "readwrite", (s) => request(s.put(value, key)));
}

export function deleteState(key) {
  return withStore("state", "readwrite", (s) => request(s.delete(key)));
}

function when(ms) {
  return new Date(ms).toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** A seed for a new run: a whole number a person can read and type back. */
export function newSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000;
}

export function mountPersist(ctx) {
  const { client, events } = ctx;
  const body = document.body;
  const form = byId("train-form");

  const text = el("span", { class: "restore-text" });
  const reset = el("button", { type: "button", class: "button small", "data-testid": "restore-reset", text: "Reset" });
  const note = el("div", { class: "restore-note", role: "status", "data-testid": "restore-note", hidden: true }, text, " ", reset);
  document.querySelector(".layout").before(note);

  function say(message, { resettable = false } = {}) {
    text.textContent = message;
    reset.hidden = !resettable;
    note.hidden = !message;
  }

  // --- settings ----------------------------------------------------------------------------------
  function readSettings() {
    const values = {};
    for (const input of form.elements) {
      if (!input.name) continue;
      values[input.name] = input.type === "checkbox" ? input.checked : input.value;
    }
    return values;
  }

  function fillSettings(values) {
    let last = null;
    for (const input of form.elements) {
      if (!input.name || !(input.name in values) || input.id === "preset") continue;
      if (input.type === "checkbox") input.checked = Boolean(values[input.name]);
      else input.value = values[input.name];
      last = input;
    }
    // The Train panel recomputes which preset the values match on "input".
    last?.dispatchEvent(new Event("input", { bubbles: true }));
  }

  const saveSettings = () => setState("settings", readSettings()).catch((err) => console.warn(err));
  form.addEventListener("change", saveSettings);
  form.addEventListener("submit", saveSettings);

  const seedButton = byId("new-seed");
  seedButton?.addEventListener("click", () => {
    const seed = byId("f-seed");
    if (seed.disabled) return;
    seed.value = String(newSeed());
    seed.dispatchEvent(new Event("input", { bubbles: true }));
    saveSettings();
  });

  // --- the model ---------------------------------------------------------------------------------
  let timer = null;
  let saving = Promise.resolve();

  async function saveModel() {
    const snapshot = await client.call("model_snapshot");
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

  let lastState = "idle";
  client.on("train", (message) => {
    const state = message.state;
    // Save when a run rests: paused (also after each single step), finished, stopped, diverged.
    if (["paused", "done", "stopped", "diverged"].includes(state) && (state !== lastState || message.progress)) saveSoon();
    lastState = state;
  });
  // Another model (uploaded, or the pretrained one back): keep it, or forget ours. Skipped: the
  // start-up announcement (its model is the worker's ready info), training ticks, our own restores.
  events.addEventListener("model-changed", (event) => {
    const d = event.detail || {};
    if (d.training || d.restored || !d.model || d.model === client.info?.model) return;
    saveSoon();
  });

  async function restore() {
    let record = null;
    try {
      record = await getState("model");
    } catch (err) {
      say(`This browser's storage is not available, so nothing will be kept after a reload (${messageOf(err)}).`);
      body.dataset.restored = "none";
      return;
    }
    if (!record) {
      body.dataset.restored = "none";
      return;
    }
    try {
      const model = await client.call("load_model", { data: record.bytes });
      say(`Restored your model (${sizesText(model.sizes)}) from ${when(record.saved)}.`, { resettable: true });
      body.dataset.restored = "model";
      events.dispatchEvent(new CustomEvent("model-loaded", { detail: { model, restored: true } }));
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { model, restored: true } }));
    } catch (err) {
      await deleteState("model").catch(() => {});
      say(`Your saved model could not be loaded (${messageOf(err)}); the pretrained one is in use.`);
      body.dataset.restored = "failed";
    }
  }

  reset.addEventListener("click", async () => {
    clearTimeout(timer);
    try {
      await Promise.all([deleteState("model"), deleteState("settings")]);
      const model = await client.call("reset_model");
      const preset = byId("preset");
      if (!preset.disabled) {
        preset.value = "small";
        preset.dispatchEvent(new Event("change", { bubbles: true }));
      }
      say("Forgot your saved model and settings: the pretrained network is back.");
      body.dataset.restored = "reset";
      events.dispatchEvent(new CustomEvent("model-loaded", { detail: { model, restored: true } }));
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { model, restored: true } }));
    } catch (err) {
      say(`Could not reset: ${messageOf(err)}`);
    }
  });

  getState("settings")
    .then((values) => values && fillSettings(values))
    .catch(() => {});
  // A worker restart (Retry) starts from the pretrained model again: restore ours each time.
  client.on("ready", restore);
  if (client.ready) restore();
}
