// Pure helpers of the step-through (no DOM, so that `node --test` imports them): the URL of a
// step, the form's values, the request that computes a trace, and the texts the view shows.
//
// A source is what gets stepped through:
//   {kind: "lesson", name, sample}   a lesson's tiny network (sample: a person, a held-out digit)
//   {kind: "digit", index}           a held-out digit through the current model ("random" allowed)
//   {kind: "drawing"}                the drawing of the Draw view
//   {kind: "mine", id}               a digit of My digits (its record's id), with its own label
// A lesson source with `epoch` (1-based) is the step on `sample` in that epoch of the lesson's
// training (App.trace_lesson(epoch=...)), with that training's learning rate.

import { rows, shapeText, tensorName } from "./step-format.js";
import { exact, fmt, fmtAll, notationFor } from "./numfmt.js";

export const PHASES = { forward: "Forward", loss: "Loss", backward: "Backward", update: "Update", after: "After" };
export const SPEEDS = [["2500", "Slow"], ["1200", "Normal"], ["500", "Fast"]];
export const DEFAULT_SPEED = "1200";
/** Used only when neither the Train settings nor the catalogue give a learning rate. */
export const FALLBACK_LR = 0.1;
const MAX_LR = 100;

/** The lessons that have a step-through, from App.info().catalog. */
export function traceableLessons(catalog) {
  return (catalog?.lessons || []).filter((lesson) => lesson.traceable);
}

export function findLesson(lessons, name) {
  return lessons.find((lesson) => lesson.name === name) || null;
}

/** Remove `name`, VALUE from the segments and return VALUE as a whole number (or null). */
function takeNumber(parts, name) {
  const at = parts.indexOf(name);
  if (at < 0) return null;
  const n = Number.parseInt(parts[at + 1], 10);
  parts.splice(at, 2);
  return Number.isFinite(n) ? n : null;
}

/**
 * Parse the URL segments after "step" into a source, a 0-based step (or null) and, for
 * #/step/train/NAME, the lesson whose training to show (`train`).
 */
export function parseArgs(args, lessons) {
  const parts = [...args];
  const n = takeNumber(parts, "step");
  const step = n === null ? null : Math.max(0, n - 1);
  const epoch = takeNumber(parts, "epoch");
  const [kind, a, b] = parts;
  if (kind === "train" && findLesson(lessons, a)) return { source: null, step, train: a };
  if (kind === "lesson" && findLesson(lessons, a)) {
    const sample = Number.parseInt(b, 10);
    const source = { kind: "lesson", name: a, sample: Number.isFinite(sample) && sample >= 0 ? sample : 0 };
    if (epoch !== null && epoch >= 1) source.epoch = epoch;
    return { source, step };
  }
  if (kind === "digit") {
    if (a === "random") return { source: { kind: "digit", index: "random" }, step };
    const index = Number.parseInt(a, 10);
    return { source: { kind: "digit", index: Number.isFinite(index) && index >= 0 ? index : 0 }, step };
  }
  if (kind === "drawing") return { source: { kind: "drawing" }, step };
  if (kind === "mine") {
    const id = Number.parseInt(a, 10);
    if (Number.isFinite(id)) return { source: { kind: "mine", id }, step };
  }
  return { source: null, step };
}

/** The URL segments of a source; a lesson's sample appears only when the lesson has samples
 * (or when it is replayed from a training, whose samples are the course's). */
export function sourceSegments(source, lessons) {
  if (source.kind === "lesson") {
    const epoch = source.epoch ? ["epoch", String(source.epoch)] : [];
    const withSample = Boolean(findLesson(lessons, source.name)?.sample_kind) || epoch.length > 0;
    return ["lesson", source.name, ...(withSample ? [String(source.sample)] : []), ...epoch];
  }
  if (source.kind === "digit") return ["digit", String(source.index)];
  if (source.kind === "mine") return ["mine", String(source.id)];
  return ["drawing"];
}

/** The hash of step `step` (0-based) of a source: the inverse of parseArgs. */
export function stepHash(source, step, lessons) {
  const segments = [...sourceSegments(source, lessons), "step", String(step + 1)];
  return `#/step/${segments.map(encodeURIComponent).join("/")}`;
}

/** The value of the source <select> for a source, and back. */
export function sourceValue(source) {
  return source.kind === "lesson" ? `lesson:${source.name}` : source.kind;
}

export function lessonOfValue(value) {
  return value.startsWith("lesson:") ? value.slice("lesson:".length) : null;
}

/** Which optional fields the form shows for a <select> value. */
export function visibleFields(value, lessons) {
  const name = lessonOfValue(value);
  const kind = name ? findLesson(lessons, name)?.sample_kind || null : null;
  return {
    person: kind === "person",
    index: value === "digit" || kind === "digit",
    label: value === "drawing",
    loss: !name, // a lesson has its own loss
  };
}

/** The loss the form shows: a lesson's own (the one its samples really use), else the chosen one. */
export function formLoss(value, lessons, chosen) {
  const name = lessonOfValue(value);
  return (name && findLesson(lessons, name)?.loss) || chosen;
}

/** The learning rate typed in the form: {value} or {error}. */
export function readLr(text) {
  const trimmed = String(text).trim();
  const lr = Number(trimmed);
  if (!trimmed || !Number.isFinite(lr) || lr <= 0 || lr > MAX_LR) {
    return { error: "The learning rate must be a positive number, such as 0.1." };
  }
  return { value: lr };
}

/** The held-out digit number typed in the form: {value} or {error}. */
export function readIndex(text, count = 2000) {
  const n = Number(String(text).trim());
  if (!Number.isInteger(n) || n < 0) {
    return { error: `The digit number must be a whole number from 0 to ${count - 1}.` };
  }
  return { value: n };
}

/**
 * The learning rate the step view starts from: the Train settings' lr, else that of the recipe the
 * Train form starts from (the catalogue's first), else the settings table's default.
 */
export function defaultLr(settings, catalog) {
  const chosen = Number(settings?.lr);
  if (chosen > 0) return chosen;
  const fromRecipe = Number(catalog?.recipes?.[0]?.settings?.lr);
  if (fromRecipe > 0) return fromRecipe;
  const fromTable = Number((catalog?.settings || []).find((s) => s.name === "lr")?.default);
  return fromTable > 0 ? fromTable : FALLBACK_LR;
}

/** "Mean squared error" for an option, from the catalogue's "mean squared error". */
export function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The loss the step view starts from for digits: the Train settings', else cross-entropy. */
export function defaultLoss(settings) {
  return settings?.loss || "cross_entropy";
}

/** What identifies a computed trace; a drawing always runs again (it may have changed). */
export function traceKey(source, { lr, loss, label }) {
  return JSON.stringify([source, source.epoch ? null : lr, loss, source.kind === "drawing" ? label : null]);
}

/** The worker call that computes the trace of a source: [method, params]. */
export function traceRequest(source, { lr, loss, label }, drawing = null) {
  if (source.kind === "lesson") {
    if (source.epoch) return ["trace_lesson", { name: source.name, sample: source.sample, epoch: source.epoch }];
    return ["trace_lesson", { name: source.name, sample: source.sample, lr }];
  }
  if (source.kind === "digit") return ["trace_digit", { lr, loss, index: source.index }];
  const params = { lr, loss, pixels: drawing.pixels, width: drawing.width, height: drawing.height };
  if (source.kind === "mine") params.label = drawing.label;
  else if (label !== "" && label !== null && label !== undefined) params.label = Number(label);
  return ["trace_digit", params];
}

/** "mean squared error" from the catalogue's labels ({value: label}), in running text. */
export function lossText(name, lossNames = {}) {
  const label = lossNames[name];
  return label ? label.charAt(0).toLowerCase() + label.slice(1) : name;
}

/** The line above the player: what was traced, through which network, with which settings. */
export function statusText(trace, lossNames) {
  const network = `network ${trace.sizes.join("-")} (${trace.activations.join(", ")})`;
  const loss = trace.loss_label || lossText(trace.loss_name, lossNames);
  return `${trace.sample} · ${network} · loss: ${loss} · η = ${fmt(trace.lr)} · ${trace.dtype}`;
}

/** Clamp a step number into the trace. */
export function clampStep(n, count) {
  return Math.max(0, Math.min(count - 1, n));
}

/** The value of one tensor of a step as text, with its shape: {value, exact, shape}. `value`
 * has 4 significant figures in one notation (or is exact with `full`); `exact` is exact. */
export function tensorValue(trace, key, tiny, full = false) {
  if (key === "loss" || key === "loss_after") {
    return { value: fmt(trace[key], { full }), exact: exact(trace[key]), shape: [] };
  }
  const t = trace.tensors[key];
  if (!tiny && t.data.length > 16) {
    const text = `${t.data.length.toLocaleString("en-GB")} values (shown in the picture)`;
    return { value: text, exact: text, shape: t.shape };
  }
  const notation = notationFor(t.data);
  const write = (f) => {
    const r = rows(t).map((row) => row.map(f).join(", "));
    return r.length === 1 && t.shape.length < 2 ? `[${r[0]}]` : `[${r.map((x) => `[${x}]`).join(", ")}]`;
  };
  return {
    value: write((v) => fmt(v, { notation, full, dtype: trace.dtype })),
    exact: write((v) => exact(v, trace.dtype)),
    shape: t.shape,
  };
}

/** The numbers a screen reader hears for a step: each output, briefly. */
export function keyNumbers(trace, step) {
  const nLayers = trace.sizes.length - 1;
  return step.outputs
    .map((key) => {
      const name = tensorName(key, nLayers).text;
      if (key === "loss" || key === "loss_after") return `${name} = ${fmt(trace[key])}`;
      const t = trace.tensors[key];
      if (t.data.length <= 4) return `${name} = ${fmtAll(t.data).join(", ")}`;
      if (key === `forward.${nLayers - 1}.a` && trace.activations[nLayers - 1] === "softmax") {
        const p = Array.from(t.data);
        const top = p.indexOf(Math.max(...p));
        return `highest probability: digit ${top}, ${(p[top] * 100).toFixed(1)}%`;
      }
      return `${name}, ${shapeText(t.shape)}`;
    })
    .join("; ");
}

/** The caption of a step's source excerpt: which lines of which file, and which did the step. */
export function sourceCaption(src) {
  const end = src.start + src.lines.length - 1;
  const marked = [...new Set(src.highlight)];
  return {
    end,
    text: ` lines ${src.start}–${end}; the highlighted line${marked.length > 1 ? "s" : ""} (${marked.join(", ")}) did this step.`,
    label: `Source of ${src.file}, lines ${src.start} to ${end}`,
  };
}

/** What a key pressed on the step stage does, or null to leave it alone. */
export function keyAction(key, onControl) {
  const moves = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last" };
  if (key in moves) return moves[key];
  if (key === " ") return onControl ? null : "toggle"; // Space presses a focused button itself
  return null;
}

/** The step a move goes to from `current` (go() clamps it into the trace). */
export function moveTarget(move, current) {
  return { first: 0, prev: current - 1, next: current + 1, last: Infinity }[move];
}

/** The pause between two played steps, longer when the reader asked for reduced motion. */
export function playDelay(speed, reduceMotion) {
  return Number(speed) * (reduceMotion ? 1.5 : 1);
}
