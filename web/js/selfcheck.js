// Self-check (#/check): the page's own Python checks the maths of the current network.
//
// The worker runs pycore.selfcheck: backprop against central differences for every parameter
// tensor of the current network (float64 copy, a few held-out digits), and the lessons' published
// numbers recomputed. Test hook, not a user feature: when the page was opened with ?testhooks=1,
// #/check/corrupt asks the worker to scale one backprop gradient by 1.05 before comparing, so a
// test can see the check fail; without ?testhooks=1 that route is an ordinary #/check.

import { el, messageOf } from "./ui.js";

/** 2.4×10⁻² as text with a superscript exponent, e.g. for a relative error. */
function sci(x) {
  if (x === 0) return el("span", { text: "0" });
  const [mantissa, exponent] = x.toExponential(1).split("e");
  const power = Number(exponent);
  return el("span", {}, `${mantissa}×10`, el("sup", { text: power < 0 ? `−${-power}` : String(power) }));
}

/** 1×10⁻⁶ as plain text (Unicode superscripts), for captions. */
function superscript(x) {
  const [mantissa, exponent] = x.toExponential(0).split("e");
  const sup = { "-": "⁻", "+": "", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  return `${mantissa}×10${[...exponent].map((c) => sup[c]).join("")}`;
}

function shapeText(shape) {
  return shape.join("×");
}

function testHooks() {
  return new URLSearchParams(location.search).get("testhooks") === "1";
}

export function mountSelfCheck(section, ctx) {
  const { client } = ctx;
  const run = el("button", { type: "button", class: "button primary", "data-testid": "selfcheck-run", text: "Run the self-check" });
  const status = el("p", { class: "muted", role: "status", "aria-live": "polite" });
  const summary = el("p", { class: "check-summary", "data-testid": "selfcheck-summary", role: "status", "aria-live": "polite" });
  const gradients = el("div", { class: "table-wrap", "data-testid": "selfcheck-gradients" });
  const golden = el("div", { class: "table-wrap", "data-testid": "selfcheck-golden" });
  const error = el("p", { class: "error", role: "alert", hidden: true });

  section.replaceChildren(
    el("h1", { id: "check-title", text: "Self-check" }),
    el("p", { class: "lede", text: "Is the maths right? This page's own Python checks the network you are using now, in a few seconds." }),
    el(
      "div",
      { class: "card" },
      el("h2", { text: "What it checks, and what that proves" }),
      el("p", {}, "Backpropagation computes the derivative of the loss with respect to every weight in one backward pass. The definition of a derivative gives a slower, independent answer: nudge one weight up and down by ", el("i", { text: "h" }), " = 10", el("sup", { text: "−6" }), " and see how the loss moves, ", el("span", { class: "formula", text: "(L(w + h) − L(w − h)) / 2h" }), ". The check does this for every parameter tensor of every layer, on a copy of the current network in 64-bit floats, with a few held-out digits; for large tensors it samples entries (the largest gradients and random non-zero ones)."),
      el("p", {}, "Each row shows the largest relative error between the two answers. Correct backprop agrees to about 10", el("sup", { text: "−9" }), "; a wrong transpose or a missing factor gives errors near 1. It passes below a tolerance of 10", el("sup", { text: "−6" }), ". Passing proves that training follows the true slope of the loss the page reports; it does not prove that the network is good."),
      el("p", {}, "The second table recomputes the numbers the lessons print, with the same library code."),
      el("div", { class: "pad-row" }, run, status),
      error,
      summary,
    ),
    el("div", { class: "card" }, el("h2", { text: "Gradients of the current network" }), gradients),
    el("div", { class: "card" }, el("h2", { text: "The lessons' numbers" }), golden),
  );

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

  function render(r) {
    gradients.replaceChildren(
      table(
        `Backprop against central differences on held-out digits ${r.samples.map((i) => `#${i}`).join(", ")}; a tensor passes when its error is below ${superscript(r.tolerance)}`,
        ["Tensor", "Shape", "Entries checked", "Max relative error", "Result"],
        r.gradients.map((g) =>
          el("tr", { "data-tensor": g.name, "data-passed": String(g.passed), "data-error": String(g.error) },
            el("th", { scope: "row" }, el("code", { text: g.name })),
            el("td", { class: "shape", text: shapeText(g.shape) }),
            el("td", { class: "num", text: g.entries === g.of ? `all ${g.of.toLocaleString("en-GB")}` : `${g.entries} of ${g.of.toLocaleString("en-GB")}` }),
            el("td", { class: "num" }, sci(g.error)),
            el("td", {}, verdict(g.passed))),
        ),
      ),
    );
    golden.replaceChildren(
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
    const failedGrads = r.gradients.filter((g) => !g.passed).map((g) => g.name);
    const failedGolden = r.golden.filter((g) => !g.passed).length;
    summary.className = `check-summary ${r.passed ? "pass" : "fail"}`;
    summary.dataset.passed = String(r.passed);
    summary.textContent = r.passed
      ? `Passed: all ${r.gradients.length} parameter tensors of ${r.network} agree with finite differences, and all ${r.golden.length} lesson values match. (${r.seconds.toFixed(1)} s)`
      : `FAILED: ${[failedGrads.length ? `backprop disagrees with finite differences for ${failedGrads.join(", ")}` : "", failedGolden ? `${failedGolden} lesson value(s) differ` : ""].filter(Boolean).join("; ")}.`;
  }

  async function check(corrupt) {
    run.disabled = true;
    error.hidden = true;
    summary.textContent = "";
    delete summary.dataset.passed;
    status.textContent = "Checking…";
    try {
      const r = await client.call("self_check", corrupt ? { corrupt: "layers.0.W" } : {});
      render(r);
      status.textContent = "";
    } catch (err) {
      status.textContent = "";
      error.textContent = `The self-check could not run: ${messageOf(err)}`;
      error.hidden = false;
    } finally {
      run.disabled = false;
    }
  }

  let corrupt = false;
  run.addEventListener("click", () => check(corrupt));

  return {
    show(args = []) {
      corrupt = testHooks() && args[0] === "corrupt";
      section.dataset.testhook = corrupt ? "corrupt" : "";
    },
    hide() {},
  };
}
