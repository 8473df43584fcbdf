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

/** An empty history: loss per batch (raw and smoothed), accuracy per epoch, speed. */
export function newHistory() {
  return { losses: [], smooth: [], epochs: [], epochCorrect: 0, epochSeen: 0, epoch: 0, speed: null, lastTest: null };
}

/** Add one slice's progress (App.train_slice) to the history; batchSize weighs its accuracy. */
export function recordProgress(h, p, batchSize = 1) {
  const losses = p.losses || [];
  let s = h.smooth.length ? h.smooth[h.smooth.length - 1].y : null;
  const first = p.step - losses.length;
  for (let i = 0; i < losses.length; i++) {
    const y = losses[i];
    s = s === null ? y : SMOOTHING * s + (1 - SMOOTHING) * y;
    h.losses.push({ x: first + i + 1, y });
    h.smooth.push({ x: first + i + 1, y: s });
  }
  if (p.train_accuracy !== null && p.train_accuracy !== undefined) {
    const seen = losses.length * batchSize;
    h.epochCorrect += p.train_accuracy * seen;
    h.epochSeen += seen;
  }
  if (p.epoch > h.epoch) {
    h.epochs.push({ epoch: p.epoch, train: h.epochSeen ? h.epochCorrect / h.epochSeen : null, test: p.test_accuracy ?? null });
    h.epochCorrect = 0;
    h.epochSeen = 0;
  }
  h.epoch = p.epoch;
  h.lastTest = p.test_accuracy ?? h.lastTest;
  if (p.examples_per_second) h.speed = h.speed ? 0.8 * h.speed + 0.2 * p.examples_per_second : p.examples_per_second;
  return h;
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
    const left = ((run.totalSteps - run.step) * (run.settings?.batch_size || 1)) / h.speed;
    if (run.state === "running") parts.push(`about ${duration(left)} left`);
  }
  if (h.lastTest !== null) parts.push(`held-out accuracy ${percent(h.lastTest)}`);
  return `${parts.join(" · ")}.`;
}

/** What the run is doing, in words; `sizes` is the network's layer sizes (or null). */
export function runStateText(state, sizes) {
  const net = sizes ? ` (${sizesText(sizes)})` : "";
  const words = {
    idle: "No training run yet. The network in use is the pretrained one.",
    running: `Training${net}…`,
    paused: `Paused${net}. Resume, or step one batch at a time.`,
    done: `Finished${net}. Draw a digit to try the trained network.`,
    stopped: `Stopped${net}. The network keeps what it learned so far.`,
    diverged: `Training stopped: the loss is no longer a number${net}.`,
  };
  return words[state] || state;
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
