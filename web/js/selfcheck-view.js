// The DOM of the self-check: what it checks and why, the run button, and the two result tables.

import { el } from "./ui.js";
import { entriesText, gradientsCaption, sciParts, shapeText } from "./selfcheck-helpers.js";

function sci(x) {
  const parts = sciParts(x);
  if (!parts) return el("span", { text: "0" });
  return el("span", {}, `${parts.mantissa}×10`, el("sup", { text: parts.power }));
}

function verdict(passed) {
  return el("span", { class: passed ? "pass" : "fail", text: passed ? "✓ pass" : "✗ FAIL" });
}

function table(caption, head, rows) {
  return el(
    "table",
    { class: "data check-table" },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows),
  );
}

function explanation() {
  return [
    el("h2", { text: "What it checks, and what that proves" }),
    el("p", {}, "Backpropagation computes the derivative of the loss with respect to every weight in one backward pass. The definition of a derivative gives a slower, independent answer: nudge one weight up and down by ", el("i", { text: "h" }), " = 10", el("sup", { text: "−6" }), " and see how the loss moves, ", el("span", { class: "formula", text: "(L(w + h) − L(w − h)) / 2h" }), ". The check does this for every parameter tensor of every layer, on a copy of the current network in 64-bit floats, with a few held-out digits; for large tensors it samples entries (the largest gradients and random non-zero ones)."),
    el("p", {}, "Each row shows the largest relative error between the two answers. Correct backprop agrees to about 10", el("sup", { text: "−9" }), "; a wrong transpose or a missing factor gives errors near 1. It passes below a tolerance of 10", el("sup", { text: "−6" }), ". Passing proves that training follows the true slope of the loss the page reports; it does not prove that the network is good."),
    el("p", {}, "The second table recomputes the numbers the lessons print, with the same library code."),
  ];
}

/** Build the view into `section`; returns the nodes the wiring needs. */
export function buildSelfCheckView(section) {
  const v = {
    run: el("button", { type: "button", class: "button primary", "data-testid": "selfcheck-run", text: "Run the self-check" }),
    status: el("p", { class: "muted", role: "status", "aria-live": "polite" }),
    summary: el("p", { class: "check-summary", "data-testid": "selfcheck-summary", role: "status", "aria-live": "polite" }),
    gradients: el("div", { class: "table-wrap", "data-testid": "selfcheck-gradients" }),
    golden: el("div", { class: "table-wrap", "data-testid": "selfcheck-golden" }),
    error: el("p", { class: "error", role: "alert", hidden: true }),
  };
  section.replaceChildren(
    el("h1", { id: "check-title", text: "Self-check" }),
    el("p", { class: "lede", text: "Is the maths right? This page's own Python checks the network you are using now, in a few seconds." }),
    el("div", { class: "card" }, ...explanation(), el("div", { class: "pad-row" }, v.run, v.status), v.error, v.summary),
    el("div", { class: "card" }, el("h2", { text: "Gradients of the current network" }), v.gradients),
    el("div", { class: "card" }, el("h2", { text: "The lessons' numbers" }), v.golden),
  );
  return v;
}

/** Fill both tables from a pycore.selfcheck result. */
export function renderTables(v, r) {
  v.gradients.replaceChildren(
    table(
      gradientsCaption(r),
      ["Tensor", "Shape", "Entries checked", "Max relative error", "Result"],
      r.gradients.map((g) =>
        el("tr", { "data-tensor": g.name, "data-passed": String(g.passed), "data-error": String(g.error) },
          el("th", { scope: "row" }, el("code", { text: g.name })),
          el("td", { class: "shape", text: shapeText(g.shape) }),
          el("td", { class: "num", text: entriesText(g) }),
          el("td", { class: "num" }, sci(g.error)),
          el("td", {}, verdict(g.passed))),
      ),
    ),
  );
  v.golden.replaceChildren(
    table(
      "Published values recomputed",
      ["Quantity", "Expected", "Computed now", "Result"],
      r.golden.map((g) =>
        el("tr", { "data-passed": String(g.passed) },
          el("th", { scope: "row", text: g.name }),
          el("td", { class: "num", text: String(g.expected) }),
          el("td", { class: "num", text: String(g.computed) }),
          el("td", {}, verdict(g.passed))),
      ),
    ),
  );
}
