// Self-check (#/check): the page's own Python checks the maths of the current network.
//
// The worker runs pycore.selfcheck: backprop against central differences for every parameter
// tensor of the current network (float64 copy, a few held-out digits), and the lessons' published
// numbers recomputed. Test hook, not a user feature: when the page was opened with ?testhooks=1,
// #/check/corrupt asks the worker to scale one backprop gradient by 1.05 before comparing, so a
// test can see the check fail; without ?testhooks=1 that route is an ordinary #/check.
// Parts: selfcheck-view.js builds the DOM, selfcheck-helpers.js the texts, this file wires them.

import { messageOf } from "./ui.js";
import { checkParams, summaryText, testHooksOn } from "./selfcheck-helpers.js";
import { buildSelfCheckView, renderTables } from "./selfcheck-view.js";

function showResult(v, r) {
  renderTables(v, r);
  v.summary.className = `check-summary ${r.passed ? "pass" : "fail"}`;
  v.summary.dataset.passed = String(r.passed);
  v.summary.textContent = summaryText(r);
}

async function check(client, v, corrupt) {
  v.run.disabled = true;
  v.error.hidden = true;
  v.summary.textContent = "";
  delete v.summary.dataset.passed;
  v.status.textContent = "Checking…";
  try {
    showResult(v, await client.call("self_check", checkParams(corrupt)));
    v.status.textContent = "";
  } catch (err) {
    v.status.textContent = "";
    v.error.textContent = `The self-check could not run: ${messageOf(err)}`;
    v.error.hidden = false;
  } finally {
    v.run.disabled = false;
  }
}

export function mountSelfCheck(section, ctx) {
  const v = buildSelfCheckView(section);
  let corrupt = false;
  v.run.addEventListener("click", () => check(ctx.client, v, corrupt));
  return {
    show(args = []) {
      corrupt = testHooksOn(location.search) && args[0] === "corrupt";
      section.dataset.testhook = corrupt ? "corrupt" : "";
    },
    hide() {},
  };
}
