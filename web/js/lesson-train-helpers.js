// Pure helpers of a lesson's training for many epochs (lesson-train.js): which lessons train, the
// inputs a learner types, the epochs the table lists, and the loss curve's path. No DOM, so that
// `node --test` imports them (tests/js/lesson-train-helpers.test.mjs).

/** The lessons that train for many epochs (pycore/lessontrain.py's COURSES), when the catalogue
 * does not say (a lesson's `trainable`). */
export const TRAINABLE = ["weight-height", "network", "neuron"];

/** Whether a catalogue lesson trains for many epochs. */
export function isTrainable(lesson) {
  if (!lesson) return false;
  return lesson.trainable ?? TRAINABLE.includes(lesson.name);
}

/**
 * What the learner types to ask the trained network: one field per input. Weight/height takes
 * pounds and inches and gives the network weight - 135 and height - 66, as the text does.
 */
export function inputFields(name) {
  if (name === "weight-height") {
    return [
      { id: "weight", label: "Weight (lb)", shift: 135, example: 128 },
      { id: "height", label: "Height (in)", shift: 66, example: 63 },
    ];
  }
  return [
    { id: "x1", label: "x₁", shift: 0, example: 2 },
    { id: "x2", label: "x₂", shift: 0, example: 3 },
  ];
}

/** The network's inputs from the typed texts: {value: [numbers]} or {error, field}. */
export function readInputs(fields, texts) {
  const value = [];
  for (let i = 0; i < fields.length; i++) {
    const text = String(texts[i] ?? "").trim();
    const n = Number(text);
    if (!text || !Number.isFinite(n)) return { error: `${fields[i].label} must be a number.`, field: i };
    value.push(n - fields[i].shift);
  }
  return { value };
}

/** The samples of one epoch, by name, for "step through epoch k, sample n". */
export function epochSamples(name, lesson) {
  if (lesson?.samples?.length) return lesson.samples;
  if (name === "network") return ["A = [2, 3]", "B = [3, -1]", "C = [-1, -2]", "D = [-2, 1]"];
  return ["x = [2, 3]"];
}

/** The training settings typed in the form (blank: the lesson's default): {value} or {error}. */
export function readSettings({ epochs, lr, seed }) {
  const out = {};
  const e = String(epochs ?? "").trim();
  if (e) {
    const n = Number(e);
    if (!Number.isInteger(n) || n < 1 || n > 100_000) return { error: "Epochs must be a whole number from 1 to 100,000.", field: "epochs" };
    out.epochs = n;
  }
  const l = String(lr ?? "").trim();
  if (l) {
    const n = Number(l);
    if (!Number.isFinite(n) || n <= 0 || n > 100) return { error: "The learning rate must be a positive number, such as 0.1.", field: "lr" };
    out.lr = n;
  }
  const s = String(seed ?? "").trim();
  if (s) {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) return { error: "The seed must be a whole number, 0 or more.", field: "seed" };
    out.seed = n;
  }
  return { value: out };
}

/** How often to report the loss so that the curve has at most about 500 points. */
export function reportEvery(epochs) {
  return Math.max(1, Math.ceil(epochs / 500));
}

/** The epochs the table lists, as the CLI prints them: 1, 10, 100, 500 and the last. */
export function milestones(epochs) {
  return [...new Set([1, 10, 100, 500, epochs])].filter((e) => e <= epochs).sort((a, b) => a - b);
}

/**
 * The loss curve as an SVG path in a `width` x `height` box with `pad` px inside, the loss on a
 * log scale (it falls over orders of magnitude): {d, yTicks: [{y, value}]}.
 */
export function curvePath(epochs, losses, total, { width, height, pad = 8 }) {
  const finite = losses.filter((v) => Number.isFinite(v) && v > 0);
  if (!epochs.length || !finite.length) return { d: "", lo: 0, hi: 0 };
  const lo = Math.log10(Math.min(...finite));
  const hi = Math.log10(Math.max(...finite));
  const span = hi - lo || 1;
  const x = (e) => pad + ((e - 1) / Math.max(1, total - 1)) * (width - 2 * pad);
  const y = (v) => pad + ((hi - Math.log10(v)) / span) * (height - 2 * pad);
  let d = "";
  epochs.forEach((e, i) => {
    const v = losses[i];
    if (!(Number.isFinite(v) && v > 0)) return;
    d += `${d ? "L" : "M"}${x(e).toFixed(1)},${y(v).toFixed(1)}`;
  });
  return { d, lo: 10 ** lo, hi: 10 ** hi };
}
