// Pure helpers of the status line (status.js): what the network in use is, in words, from the
// store's model and run. No DOM here (tested with node --test).

import { number, percent, sizesText } from "./ui.js";

const WHAT = {
  pretrained: "pretrained",
  trained: "trained here",
  finetuned: "fine-tuned on your digits",
  uploaded: "uploaded",
  restored: "restored from this browser",
  untrained: "untrained (its run stopped before the first batch)",
};

/**
 * The network's kind, a stable word for tests and styles: the provenance, or "did-not-learn" for
 * a network whose run ended without learning (pycore's verdict).
 */
export function statusKind(model, run) {
  if (!model) return "loading";
  const ended = run && ["done", "stopped"].includes(run.state) && ["trained", "finetuned"].includes(model.provenance);
  if (ended && run.verdict && run.verdict.learned === false) return "did-not-learn";
  return model.provenance || "pretrained";
}

/** What the network is: "pretrained", "training — batch 12 of 125", "trained here — did not learn". */
export function statusWhat(model, run) {
  const kind = statusKind(model, run);
  if (kind === "training") {
    const doing = run?.kind === "finetune" ? "fine-tuning" : "training";
    return `${doing} — batch ${number(run?.step || 0)} of ${number(run?.totalSteps || 0)}`;
  }
  if (kind === "did-not-learn") return `${WHAT[model.provenance]} — did not learn`;
  return WHAT[kind] || kind;
}

/** Its measured held-out accuracy, or why there is none yet. */
export function statusAccuracy(model, run) {
  if (Number.isFinite(model?.test_accuracy)) return `${percent(model.test_accuracy)} of held-out digits right`;
  if (statusKind(model, run) === "training") return "held-out accuracy after the first epoch";
  return "held-out accuracy not measured yet";
}

/** The status line's text: "Network in use: pretrained · 784 → 128 → 10 · 97.9% of held-out digits right". */
export function statusText(model, run) {
  if (!model) return "Network in use: loading…";
  return `Network in use: ${statusWhat(model, run)} · ${sizesText(model.sizes)} · ${statusAccuracy(model, run)}`;
}

/**
 * What a screen reader hears, and only when it changes: the kind and the architecture (never the
 * batch number, which changes many times a second).
 */
export function statusAnnouncement(model, run) {
  if (!model) return "";
  const kind = statusKind(model, run);
  const what = kind === "training" ? (run?.kind === "finetune" ? "fine-tuning" : "training") : statusWhat(model, run);
  return `Network in use: ${what}, ${sizesText(model.sizes)}.`;
}
