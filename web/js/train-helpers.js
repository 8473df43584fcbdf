// Pure helpers of the Train panel: the settings form's values from pycore's catalogue, which
// recipe they match, and the run's figures and sentences. No DOM here (tested with node --test).
//
// A catalogue (App.info().catalog) lists the settings {name, kind, label, help, default, choices,
// form, ...} in form order and the recipes {name, title, settings} of the "Start from" menu.

import { duration, number, percent, sizesText } from "./ui.js";

const SMOOTHING = 0.9;

/** The settings the Train form shows, in form order. */
export function formSettings(catalog) {
  return (catalog?.settings || []).filter((s) => s.form);
}

/** A setting's value as the form holds it: text for fields, a boolean for a checkbox. */
export function formValue(setting, value) {
  if (setting.kind === "bool") return Boolean(value);
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/** The form's values for a recipe: {name: value} for every form setting. */
export function recipeFormValues(catalog, name) {
  const recipe = (catalog?.recipes || []).find((r) => r.name === name);
  const values = {};
  for (const setting of formSettings(catalog)) {
    const value = recipe && setting.name in recipe.settings ? recipe.settings[setting.name] : setting.default;
    values[setting.name] = formValue(setting, value);
  }
  return values;
}

function same(setting, a, b) {
  if (setting.kind === "bool") return Boolean(a) === Boolean(b);
  return String(a ?? "").trim() === String(b ?? "").trim();
}

/** The name of the recipe whose form values these are, or "custom". */
export function matchRecipe(catalog, values) {
  const settings = formSettings(catalog);
  for (const recipe of catalog?.recipes || []) {
    const wanted = recipeFormValues(catalog, recipe.name);
    if (settings.every((s) => same(s, wanted[s.name], values[s.name]))) return recipe.name;
  }
  return "custom";
}

/**
 * What a run is started with: the form's values (text trimmed) and, while they match a recipe,
 * that recipe's settings the form does not show (for example EMA or elastic distortion).
 */
export function trainingSettings(catalog, values) {
  const recipe = (catalog?.recipes || []).find((r) => r.name === values.recipe);
  const out = recipe ? { ...recipe.settings } : {};
  for (const setting of formSettings(catalog)) {
    const v = values[setting.name];
    out[setting.name] = typeof v === "string" ? v.trim() : v;
  }
  return out;
}

/** A message as a sentence: capital first letter and a full stop. */
export function sentence(text) {
  const t = String(text || "").trim();
  return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
}

// --- the run's history ---------------------------------------------------------------------------

const WINDOW_MS = 5000; // time left is measured over the last few seconds of wall time
const GAP_MS = 3000; // a longer silence (a pause) starts the measurement again
const RELIABLE_MS = 2000;
const RELIABLE_EVENTS = 3;

/**
 * An empty history: loss per batch (raw, and smoothed with a bias-corrected moving average that
 * starts from this run's own first losses), the epochs pycore reported (training accuracy counted
 * batch by batch during the epoch, held-out accuracy at its end), and speeds.
 */
export function newHistory() {
  return { losses: [], smooth: [], epochs: [], ema: 0, emaSteps: 0, epoch: 0, speed: null, lastTest: null, recent: [] };
}

/**
 * Add one slice's progress (App.train_slice) to the history. `now` (ms) times the slice's arrival,
 * so that the time left rests on the wall-clock speed of the last few seconds.
 */
export function recordProgress(h, p, batchSize = 1, now = null) {
  const losses = p.losses || [];
  const first = p.step - losses.length;
  for (let i = 0; i < losses.length; i++) {
    const y = losses[i];
    // ema_t = b*ema_(t-1) + (1-b)*y_t from ema_0 = 0, divided by 1 - b^t: an average of this
    // run's losses so far, weighted to the latest, with no start value to wear off.
    h.ema = SMOOTHING * h.ema + (1 - SMOOTHING) * y;
    h.emaSteps += 1;
    h.losses.push({ x: first + i + 1, y });
    h.smooth.push({ x: first + i + 1, y: h.ema / (1 - SMOOTHING ** h.emaSteps) });
  }
  if (Array.isArray(p.epochs)) {
    for (const e of p.epochs) h.epochs.push({ epoch: e.epoch, train: e.train_accuracy ?? null, test: e.test_accuracy ?? null });
  } else if (p.epoch > h.epoch) {
    h.epochs.push({ epoch: p.epoch, train: null, test: p.test_accuracy ?? null });
  }
  h.epoch = p.epoch;
  h.lastTest = p.test_accuracy ?? h.lastTest;
  if (p.examples_per_second) h.speed = h.speed ? 0.8 * h.speed + 0.2 * p.examples_per_second : p.examples_per_second;
  if (now !== null) {
    const last = h.recent[h.recent.length - 1];
    if (last && now - last.t > GAP_MS) h.recent = [];
    h.recent.push({ t: now, examples: losses.length * batchSize });
    while (h.recent.length > 2 && now - h.recent[0].t > WINDOW_MS) h.recent.shift();
  }
  return h;
}

/** Examples per second of wall time over the last few seconds, or null while too little is known. */
export function recentSpeed(h) {
  const r = h.recent;
  if (r.length < RELIABLE_EVENTS) return null;
  const span = r[r.length - 1].t - r[0].t;
  if (span < RELIABLE_MS) return null;
  // The first event's examples were trained before the window opened.
  const examples = r.slice(1).reduce((sum, e) => sum + e.examples, 0);
  return examples > 0 ? (examples * 1000) / span : null;
}

/** "about 5 s left", "more than an hour left", or "" while the speed is not known well enough. */
export function timeLeftText(run, h) {
  const speed = recentSpeed(h);
  if (run.state !== "running" || !speed) return "";
  const left = ((run.totalSteps - run.step) * (run.settings?.batch_size || 1)) / speed;
  if (left > 3600) return "more than an hour left";
  return `about ${duration(left)} left`;
}

/** At most `max` points: every k-th one, the last always kept, so a chart update stays cheap. */
export function thin(points, max) {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

/** `count` rows evenly spaced from first to last (all of them when there are few). */
export function sample(rows, count) {
  if (rows.length <= count) return rows;
  const picked = [];
  for (let i = 0; i < count; i++) picked.push(rows[Math.round((i * (rows.length - 1)) / (count - 1))]);
  return picked;
}

/** "Batch 3 of 250 · epoch 0 of 1 · 12,000 examples/s · about 5 s left · held-out accuracy 91.0%." */
export function progressText(run, h) {
  const parts = [`Batch ${number(run.step)} of ${number(run.totalSteps)}`, `epoch ${number(run.epoch)} of ${number(run.settings?.epochs)}`];
  if (h.speed) {
    parts.push(`${number(h.speed)} examples/s`);
  }
  const left = timeLeftText(run, h);
  if (left) parts.push(left);
  if (h.lastTest !== null) parts.push(`held-out accuracy ${percent(h.lastTest)}`);
  return `${parts.join(" · ")}.`;
}

const IN_USE = {
  pretrained: "the pretrained one", trained: "one trained here", finetuned: "one fine-tuned on your digits",
  uploaded: "one you uploaded", restored: "one restored from this browser", untrained: "an untrained one",
};

/**
 * What the run is doing, in words: `state` the run's state, `sizes` the network's layer sizes (or
 * null), `provenance` what the network in use is (for a page with no run yet), `verdict` pycore's
 * verdict on the ended run.
 */
export function runStateText(state, sizes, { provenance = "pretrained", verdict = null } = {}) {
  const net = sizes ? ` (${sizesText(sizes)})` : "";
  if (state === "done" && verdict && verdict.learned === false) return `Finished, but the network did not learn${net}.`;
  const words = {
    idle: `No training run yet. The network in use is ${IN_USE[provenance] || "the pretrained one"}${net}.`,
    running: `Training${net}…`,
    paused: `Paused${net}. Resume, or step one batch at a time.`,
    done: `Finished${net}. Draw a digit to try the trained network.`,
    stopped: `Stopped${net}. The network keeps what it learned so far.`,
    diverged: `Training stopped: the loss is no longer a number${net}.`,
  };
  return words[state] || state;
}

// --- one run: what it is, whether it learned, and starting one -----------------------------------

const KEEPS = new Set(["pretrained", "trained", "finetuned", "uploaded", "restored"]);

/** Whether starting a fresh run would replace a network worth asking about. */
export function needsConfirm(model, runState) {
  return Boolean(model) && !["running", "paused"].includes(runState) && KEEPS.has(model.provenance);
}

/** The question asked before a fresh run replaces the network in use. */
export function confirmText(model) {
  const what = { ...IN_USE, pretrained: "the pretrained network" }[model.provenance] || "the network in use";
  const acc = Number.isFinite(model.test_accuracy) ? `, ${percent(model.test_accuracy)} of held-out digits right` : "";
  return (
    `A new run trains a fresh, untrained network, and every view uses it from its first batch. It replaces ${what} ` +
    `(${sizesText(model.sizes)}${acc}).` +
    (model.provenance === "pretrained" ? " Reset to pretrained brings that one back." : " To keep it, download it in Models first.")
  );
}

/** The form's values for the settings a run started with (App.start_training's `settings`). */
export function runFormValues(catalog, runSettings) {
  const values = {};
  for (const setting of formSettings(catalog)) {
    if (runSettings && setting.name in runSettings) values[setting.name] = formValue(setting, runSettings[setting.name]);
  }
  return values;
}

/** "learning rate 0.001 and loss cross-entropy" from a verdict's {setting: value} suggestion. */
export function suggestionText(catalog, suggestion) {
  const byName = Object.fromEntries(formSettings(catalog).map((s) => [s.name, s]));
  return Object.entries(suggestion || {})
    .map(([name, value]) => {
      const s = byName[name];
      if (!s) return `${name} ${value}`;
      const choice = (s.choices || []).find(([v]) => String(v) === String(value));
      return `${s.label.toLowerCase()} ${choice ? choice[1] : value}`;
    })
    .join(" and ");
}

/** Words for the settings of a run: "Adam, learning rate 0.003, batches of 64, 1 epoch, seed 0". */
export function settingsText(settings, names = {}) {
  if (!settings) return "";
  const parts = [];
  if (settings.optimizer) parts.push(names.optimizer?.[settings.optimizer] || settings.optimizer);
  if (settings.lr !== undefined) parts.push(`learning rate ${settings.lr}`);
  if (settings.batch_size) parts.push(`batches of ${number(settings.batch_size)}`);
  if (settings.epochs) parts.push(`${number(settings.epochs)} epoch${settings.epochs === 1 ? "" : "s"}`);
  if (settings.seed !== undefined) parts.push(`seed ${settings.seed}`);
  return parts.join(", ");
}

const BASE_WORDS = {
  pretrained: "the pretrained network", trained: "a network trained here", finetuned: "a network fine-tuned on your digits",
  uploaded: "an uploaded network", restored: "a restored network", untrained: "an untrained network", training: "a network in training",
};

/** Which run the charts show: kind, network and settings, in one sentence. */
export function runCaption(run, sizes, names = {}) {
  if (!run || run.id === 0) return "No run yet: the charts show the next run you start, here or in My digits.";
  const how = settingsText(run.settings, names);
  const net = sizes ? ` (${sizesText(sizes)})` : "";
  if (run.kind === "finetune") {
    const base = BASE_WORDS[run.base?.provenance] || "the network in use";
    return `These charts show run ${run.id}: fine-tuning ${base}${net} on your digits mixed with MNIST; ${how}.`;
  }
  return `These charts show run ${run.id}: training a new network${net} from scratch; ${how}.`;
}

export function lossSummaryText(h) {
  const last = h.losses[h.losses.length - 1];
  if (!last) return "No data yet.";
  const smooth = h.smooth[h.smooth.length - 1].y.toPrecision(4);
  const first = h.losses.length > 1 ? `; first batch ${h.losses[0].y.toPrecision(4)}.` : ".";
  return `Batch ${number(last.x)}: loss ${last.y.toPrecision(4)}, smoothed ${smooth}${first}`;
}

export function accSummaryText(h) {
  const last = h.epochs[h.epochs.length - 1];
  if (!last) return "No epoch finished yet.";
  return `Epoch ${last.epoch}: ${percent(last.train)} of training digits and ${percent(last.test)} of held-out digits right.`;
}

/** Rows of the loss table: [batch, loss, smoothed] at up to `count` evenly spaced batches. */
export function lossRows(h, count = 20) {
  return sample(h.losses.map((p, i) => [p, h.smooth[i]]), count).map(([p, s]) => [number(p.x), p.y.toPrecision(4), s.y.toPrecision(4)]);
}

/** Rows of the accuracy table: [epoch, training, held-out]. */
export function accRows(h, count = 30) {
  return sample(h.epochs, count).map((e) => [String(e.epoch), percent(e.train), percent(e.test)]);
}
