import assert from "node:assert/strict";
import { test } from "node:test";
import { STAGES, barPercent, readySentence, seconds, stageDurations, stagesFor } from "../../web/js/boot-helpers.js";

const TYPICAL = { start: 100, boot: 2000, packages: 1000, network: 500, restore: 500 };

test("a return visit restores Python instead of booting it", () => {
  assert.deepEqual(stagesFor("restore"), ["start", "restore", "packages", "network"]);
  assert.deepEqual(stagesFor("boot"), ["start", "boot", "packages", "network"]);
  for (const name of stagesFor("boot")) assert.ok(STAGES[name].label.length > 0);
});

test("the bar moves through a stage at its typical pace, then creeps without reaching its end", () => {
  const order = stagesFor("boot");
  const total = 3600;
  assert.equal(barPercent(order, "boot", 0, TYPICAL), (100 * 100) / total);
  const half = barPercent(order, "boot", 1000, TYPICAL);
  assert.ok(Math.abs(half - (100 * (100 + 900)) / total) < 1e-9);
  const late = barPercent(order, "boot", 4000, TYPICAL);
  const later = barPercent(order, "boot", 8000, TYPICAL);
  const end = (100 * 2100) / total;
  assert.ok(late > barPercent(order, "boot", 2000, TYPICAL) && later > late && later < end);
  // The next stage starts where the last one ends.
  assert.ok(Math.abs(barPercent(order, "packages", 0, TYPICAL) - end) < 1e-9);
  assert.ok(barPercent(order, "network", 10_000, TYPICAL) < 100);
});

test("an unknown stage puts the bar at zero, and unknown durations fall back to the defaults", () => {
  assert.equal(barPercent(stagesFor("boot"), "nope", 10), 0);
  assert.ok(barPercent(stagesFor("boot"), "packages", 0, {}) > 0);
});

test("stage durations come from the worker's cumulative timings, and nonsense is dropped", () => {
  assert.deepEqual(stageDurations({ snapshot: "restored", runtime_ms: 600, packages_ms: 1500, ready_ms: 1900 }), { restore: 600, packages: 900, network: 400 });
  assert.deepEqual(stageDurations({ snapshot: "made", runtime_ms: 2500, packages_ms: 2400, ready_ms: 3000 }), { boot: 2500, network: 600 });
  assert.deepEqual(stageDurations({}), {});
  assert.deepEqual(stageDurations(null), {});
});

test("the ready sentence gives the time on the page and says where Python came from", () => {
  assert.equal(seconds(1234), "1.2 s");
  assert.equal(seconds(75_400), "75 s");
  assert.equal(readySentence(1234, "restored"), "Ready in 1.2 s (Python restored from the copy saved in this browser).");
  assert.equal(readySentence(3000, "made"), "Ready in 3.0 s.");
});
