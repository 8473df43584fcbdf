// Pure helpers of My digits (no DOM, so that `node --test` imports them): counting and packing the
// collection, what to draw next, reading the fine-tune form, and the texts of the results.
//
// A record of the collection is {id, label, pixels: Uint8Array(784), added}.

import { percent } from "./ui.js";

export const TARGET = 5; // samples per digit worth aiming for: enough to hold one out and learn from four
export const MEASURE_DELAY_MS = 600;
const MAX_SEED = 4294967295;
const MAX_EPOCHS = 50;
const ENDED = ["done", "stopped", "diverged", "error", "idle"];

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The change from one accuracy to another in percentage points, "+3.0 points". */
export function points(before, after) {
  if (before === null || after === null || before === undefined || after === undefined) return "";
  const d = (after - before) * 100;
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)} points`;
}

/** How many samples of each digit the collection holds. */
export function counts(digits) {
  const c = new Array(10).fill(0);
  for (const d of digits) c[d.label] += 1;
  return c;
}

/** What to draw next: the digits with the fewest samples, until each has TARGET. */
export function promptText(c) {
  const total = c.reduce((a, b) => a + b, 0);
  const fewest = Math.min(...c);
  if (total === 0) return `Start with any digit. Aim for at least ${TARGET} of each.`;
  if (fewest >= TARGET) {
    return `Every digit has at least ${TARGET} samples: enough to fine-tune. More samples make the held-out test more telling.`;
  }
  const need = c.map((n, d) => [n, d]).filter(([n]) => n === fewest).map(([, d]) => d);
  const which = need.length === 1 ? `a ${need[0]}` : `one of ${need.join(", ")}`;
  return `Next, draw ${which}: ${need.length === 1 ? "it has" : "they have"} the fewest samples (${fewest}). Aim for at least ${TARGET} of each digit.`;
}

/** The caption under a thumbnail: how the network reads it, and whether it was held out. */
export function thumbCaption(label, guess, held) {
  const read = guess === undefined ? "" : guess !== label ? `read as ${guess}` : "read right";
  return [read, held ? "held out" : ""].filter(Boolean).join(" · ");
}

/** The collection as the worker takes it: N*784 pixels and N labels, both uint8. */
export function packDigits(list) {
  const pixels = new Uint8Array(list.length * 784);
  const labels = new Uint8Array(list.length);
  list.forEach((d, i) => {
    pixels.set(d.pixels, i * 784);
    labels[i] = d.label;
  });
  return { pixels, labels };
}

/** A 28x28 image of values 0..1 (as `predict` returns it) as the uint8 pixels we store. */
export function imageToPixels(image) {
  const pixels = new Uint8Array(784);
  for (let i = 0; i < 784; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(image[i] * 255)));
  return pixels;
}

/** The digits of an imported file ({count, pixels, labels}) that the collection does not hold yet. */
export function freshDigits(existing, imported) {
  const key = (label, pixels) => `${label}:${pixels.join(",")}`;
  const have = new Set(existing.map((d) => key(d.label, d.pixels)));
  const fresh = [];
  for (let i = 0; i < imported.count; i++) {
    const pixels = imported.pixels.slice(i * 784, (i + 1) * 784);
    const k = key(imported.labels[i], pixels);
    if (have.has(k)) continue;
    have.add(k);
    fresh.push({ label: imported.labels[i], pixels });
  }
  return fresh;
}

export function importedText(fileName, fresh, total) {
  const skipped = total - fresh;
  return `Imported ${plural(fresh, "digit")} from ${fileName}${skipped > 0 ? ` (${skipped} you already had were skipped)` : ""}.`;
}

/** The seed typed in the form: {value} or {error}. */
export function readSeed(text) {
  const n = Number(String(text).trim());
  if (!Number.isInteger(n) || n < 0 || n > MAX_SEED) return { error: `The seed must be a whole number from 0 to ${MAX_SEED}.` };
  return { value: n };
}

export function readEpochs(text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_EPOCHS) return { error: `Epochs must be a whole number from 1 to ${MAX_EPOCHS}.` };
  return { value: n };
}

/** The keyword arguments of a fine-tune: the form's choices over the catalogue's defaults. */
export function finetuneKwargs(packed, defaults, { mixPercent, epochs, seed }) {
  return { ...packed, ...defaults, mnist_share: Number(mixPercent) / 100, epochs, seed };
}

const SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

/** "About one in five of your drawings of each digit is held out" for a held-out share of 0.2. */
export function heldOutText(share) {
  if (!(share > 0)) return "None of your drawings is held out";
  const oneIn = Math.round(1 / share);
  return `About one in ${SMALL[oneIn] || oneIn} of your drawings of each digit is held out`;
}

/** What the fine-tune panel says it does, from the catalogue's defaults. */
export function finetuneHelp(defaults) {
  return (
    "Goes on training the current network, in the background, on your digits mixed with MNIST training digits " +
    `(Adam, learning rate ${defaults.lr}, batches of ${defaults.batch_size}). ${heldOutText(defaults.holdout)}, chosen by the seed: ` +
    "the network never trains on them, so they show whether it learned your style or only memorised the drawings it saw."
  );
}

/** What a started fine-tune trains on, from the start call's counts. */
export function tuningWhat(c) {
  return `${plural(c.learn, "digit")} of yours and ${plural(c.mnist, "MNIST digit")}; ${c.held_out} of yours held out`;
}

/** One line of progress: batch, epoch, loss and MNIST accuracy when known. */
export function progressText(p) {
  const parts = [`Batch ${p.step} of ${p.total_steps}`, `epoch ${p.epoch}`];
  if (p.loss !== null && p.loss !== undefined) parts.push(`loss ${p.loss.toPrecision(3)}`);
  if (p.test_accuracy !== null && p.test_accuracy !== undefined) parts.push(`MNIST held-out ${percent(p.test_accuracy)}`);
  return `${parts.join(" · ")}.`;
}

/** Whether a run state ends a fine-tune. */
export function hasEnded(state) {
  return ENDED.includes(state);
}

/** Why a fine-tune ended without a result to report (an error, or another model loaded). */
export function endedText(error) {
  return error ? `Fine-tuning stopped: ${error}` : "Fine-tuning ended: another model was loaded.";
}

/** How a fine-tune that ran ended, from finetune_result. */
export function finishedText(state, r, what) {
  return state === "done"
    ? `Fine-tuned for ${r.step} batches on ${what}.`
    : `Fine-tuning ${state} after ${r.step} of ${r.total_steps} batches on ${what}.`;
}

export function accuracyNote(r) {
  return r.count
    ? `The current network reads ${r.correct} of your ${r.count} digits right, and ${percent(r.mnist_accuracy)} of the 2,000 MNIST digits it never trained on.`
    : "Label a few digits to see how well the network reads your handwriting.";
}

/** The rows of the before/after table: [name, before, after, key]. */
export function resultRows(before, after) {
  return [
    ["Your held-out digits (never trained on)", before.held_out, after.held_out, "held"],
    ["Your digits it trained on", before.learned, after.learned, "learned"],
    ["MNIST held-out digits", before.mnist, after.mnist, "mnist"],
  ];
}

/**
 * Did it generalise or memorise, and did it forget MNIST? `verdict` is pycore's
 * (finetune_result().verdict): it says "too few drawings to tell", with the counts, when too few
 * drawings were held out to judge; without it the figures alone are read, as before.
 */
export function verdictText(before, after, verdict = null) {
  const words = [];
  if (verdict) {
    words.push(verdict.sentence);
    if (verdict.kind !== "too_few" && verdict.kind !== "generalised" && after.learned > before.learned) {
      words.push(`The drawings it trained on are read better (${percent(before.learned)} → ${percent(after.learned)}): it memorised those. More samples of each digit usually help.`);
    }
  } else if (before.held_out === null) {
    words.push("No drawings were held out (a digit needs two or more samples), so this run cannot tell learning from memorising.");
  } else if (after.held_out > before.held_out) {
    words.push(`It generalised: it reads drawings of yours it never trained on better than before (${percent(before.held_out)} → ${percent(after.held_out)}).`);
  } else if (after.learned > before.learned) {
    words.push(`It memorised: the drawings it trained on are read better (${percent(before.learned)} → ${percent(after.learned)}), but your held-out ones are not. More samples of each digit usually help.`);
  } else {
    words.push("Nothing changed on your held-out drawings. Try more epochs, or a smaller MNIST share.");
  }
  if (after.mnist < before.mnist - 0.01) words.push(`It forgot some MNIST (${percent(before.mnist)} → ${percent(after.mnist)}): a larger MNIST share in the mix protects it.`);
  else words.push(`MNIST held-out accuracy stayed at ${percent(after.mnist)} (it was ${percent(before.mnist)}).`);
  return words.join(" ");
}
