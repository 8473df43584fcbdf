// Test hooks, not a user feature: when the page was opened with ?testhooks=1, window.pycoreTest
// holds a few switches the browser tests use to simulate what a real browser does only rarely
// (a storage write that never settles, a fatal failure of the worker's Python). Without
// ?testhooks=1 there is no window.pycoreTest and every hook is off.

import { testHooksOn } from "./hooks-flag.js";

/** The hooks object (shared by the modules that register hooks), or null when hooks are off. */
export function testHooks() {
  if (typeof location === "undefined" || !testHooksOn(location.search)) return null;
  globalThis.pycoreTest ||= {};
  return globalThis.pycoreTest;
}
