// Pure helpers of persist.js (tested with node --test): which model is worth saving, under which
// key, and how long a save may take before it is given up.

/** Models larger than this are not stored (Chromium's IndexedDB never settles some large writes). */
export const MAX_STORED_BYTES = 100 * 1024 * 1024;
const BASE_LIMIT_MS = 15_000;
const MS_PER_MB = 200;

/** The key a model saved at `saved` (ms) is written under; "model-current" names the one in use. */
export function modelKey(saved) {
  return `model@${saved}`;
}

export function isModelKey(key) {
  return typeof key === "string" && key.startsWith("model@");
}

/** How long a save of `bytes` may take before it is abandoned. */
export function saveLimitMs(bytes) {
  return BASE_LIMIT_MS + Math.round((bytes / (1024 * 1024)) * MS_PER_MB);
}

/**
 * What to do with a snapshot of the network in use (App.model_snapshot: {bytes, default, model}):
 *   {action: "forget"}             it is the pretrained network: drop what is stored
 *   {action: "skip", why}          it is not usable (a run with no completed batch, non-finite weights):
 *                                  keep what is stored
 *   {action: "too-large", why}     keep it in memory only
 *   {action: "save"}
 * `runSteps` is the page's count of the current run's batches, for a pycore without steps_trained.
 */
export function saveDecision(snapshot, { maxBytes = MAX_STORED_BYTES, runSteps = null } = {}) {
  if (snapshot.default) return { action: "forget" };
  const info = snapshot.model || {};
  if (info.finite === false) return { action: "skip", why: "its weights are not all finite numbers" };
  const steps = info.steps_trained ?? runSteps;
  if (steps === 0) return { action: "skip", why: "its run has not completed a batch yet" };
  const size = snapshot.bytes?.length ?? 0;
  if (size > maxBytes) {
    return { action: "too-large", why: `it takes ${megabytes(size)}, more than the ${megabytes(maxBytes)} this page stores` };
  }
  return { action: "save" };
}

export function megabytes(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
