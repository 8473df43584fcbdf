// Whether the page was opened with its test hooks on (?testhooks=1; see testhooks.js). A module
// of its own, with no imports, so that early.js can start the worker without waiting for more.

/** True when the query string `search` turns the test hooks on. */
export function testHooksOn(search) {
  return new URLSearchParams(search).get("testhooks") === "1";
}
