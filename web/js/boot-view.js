// The loading banner's moving parts: the stage a person reads, a bar that moves at the pace the
// stages usually take (boot-helpers.js), and the seconds so far. Each start's stage durations are
// kept in localStorage, so the next start's bar follows this machine's own pace.

import { STAGES, barPercent, seconds, stageDurations, stagesFor } from "./boot-helpers.js";

const KEY = "pycore-boot-ms";
const TICK_MS = 100;

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || {};
  } catch (err) {
    return {};
  }
}

/** Drive the banner's label, <progress> and time elements; returns {stage(name), done(timings), reset()}. */
export function makeBootBar({ label, bar, time }) {
  const typical = remembered();
  let order, current, since, timer;

  function tick() {
    const now = performance.now();
    // Never backwards: a new plan (restore instead of boot) may put the same moment lower.
    bar.value = Math.max(Number(bar.value) || 0, barPercent(order, current, now - since, typical));
    time.textContent = seconds(now);
  }

  function stage(name) {
    if (!STAGES[name]) return;
    if (name === "boot" || name === "restore") order = stagesFor(name);
    current = name;
    since = performance.now();
    label.textContent = `${STAGES[name].label}…`;
    document.body.dataset.bootStage = name;
    tick();
  }

  function reset() {
    clearInterval(timer);
    order = stagesFor("boot");
    bar.value = 0;
    stage("start");
    timer = setInterval(tick, TICK_MS);
  }

  reset();
  return {
    stage,
    reset,
    /** Stop the bar, and remember this start's stage durations for the next one. */
    done(timings) {
      clearInterval(timer);
      bar.value = 100;
      try {
        localStorage.setItem(KEY, JSON.stringify({ ...typical, ...stageDurations(timings) }));
      } catch (err) {
        // No storage: the defaults serve next time.
      }
    },
  };
}
