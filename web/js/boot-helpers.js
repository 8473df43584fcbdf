// The start-up stages as a person reads them, and a loading bar that moves at the pace they
// usually take (pure functions; main.js draws them, tests/js/boot-helpers.test.mjs checks them).
//
// The worker says when a stage begins (worker.js: "restore" or "boot", then "packages", then
// "network"); it cannot say how far into a stage it is (Pyodide reports no progress), so the bar
// advances through a stage at the speed its typical duration gives, up to 90% of the stage's
// share, then creeps towards the end without reaching it. The typical durations are this
// machine's own from the last visit when there is one (stageDurations), else the defaults below,
// measured on a two-core machine.

/** Each stage: what the banner says, and how long it usually takes in milliseconds. */
export const STAGES = {
  start: { label: "Starting", ms: 150 },
  boot: { label: "Downloading and starting Python", ms: 2600 },
  restore: { label: "Starting Python from the copy saved in this browser", ms: 700 },
  packages: { label: "Loading NumPy and pycore", ms: 1000 },
  network: { label: "Loading the trained network", ms: 500 },
};

/** The stages of one start, in order: a return visit restores Python instead of booting it. */
export function stagesFor(first) {
  return ["start", first === "restore" ? "restore" : "boot", "packages", "network"];
}

const WITHIN = 0.9; // share of a stage the bar covers in the stage's typical time

/**
 * The bar's value (0..100) `elapsed` ms into `stage` of `order`, with `typical` ms per stage
 * (default STAGES): the stages before it count in full.
 */
export function barPercent(order, stage, elapsed, typical = {}) {
  const ms = (name) => Math.max(1, typical[name] ?? STAGES[name]?.ms ?? 500);
  const total = order.reduce((sum, name) => sum + ms(name), 0);
  const at = order.indexOf(stage);
  if (at < 0) return 0;
  const before = order.slice(0, at).reduce((sum, name) => sum + ms(name), 0);
  const span = ms(stage);
  const t = Math.max(0, elapsed) / span;
  // Linear to WITHIN at the typical time, then approaching the stage's end ever more slowly.
  const share = t <= 1 ? WITHIN * t : WITHIN + (1 - WITHIN) * (1 - Math.exp(-(t - 1)));
  return (100 * (before + span * share)) / total;
}

/** The stage durations of one start, from the worker's cumulative timings (ms since it began). */
export function stageDurations(timings) {
  if (!timings || typeof timings.runtime_ms !== "number") return {};
  const first = timings.snapshot === "restored" ? "restore" : "boot";
  const out = { [first]: timings.runtime_ms };
  if (typeof timings.packages_ms === "number") out.packages = timings.packages_ms - timings.runtime_ms;
  if (typeof timings.ready_ms === "number" && typeof timings.packages_ms === "number") out.network = timings.ready_ms - timings.packages_ms;
  for (const [k, v] of Object.entries(out)) if (!(v > 0) || v > 120_000) delete out[k];
  return out;
}

/** "1.4 s" (one decimal below a minute). */
export function seconds(ms) {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** The footer's sentence once ready: the time on the page, and where Python came from. */
export function readySentence(pageMs, snapshot) {
  const how = snapshot === "restored" ? " (Python restored from the copy saved in this browser)" : "";
  return `Ready in ${seconds(pageMs)}${how}.`;
}
