// The DOM of a lesson's training for many epochs: the settings, the live loss curve (a plain SVG
// line on a log scale), the loss at the epochs the CLI prints, the predictions, a form to ask the
// trained network, and "step through epoch k, sample n". No worker calls: lesson-train.js wires it.

import { el } from "./ui.js";
import { exact, fmt } from "./numfmt.js";
import { curvePath } from "./lesson-train-helpers.js";

const SVG = "http://www.w3.org/2000/svg";
const CHART = { width: 560, height: 200, pad: 10 };

const field = (id, label, control, hint = null) =>
  el("div", { class: "field" }, el("label", { for: id, text: label }), control, hint);

const input = (id, testid, attrs = {}) =>
  el("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", "data-testid": testid, ...attrs });

/** A number with 4 significant figures, its exact float in a tooltip and in data-exact. */
export function numberCell(tag, value, attrs = {}) {
  return el(tag, { class: "num", title: exact(value), "data-exact": exact(value), text: fmt(value), ...attrs });
}

/** Build the card's content into `host`; returns every node the wiring needs. */
export function buildTrainView(host) {
  const v = {
    title: el("h2", { id: "lesson-train-title", tabindex: "-1" }),
    note: el("p", { class: "muted" }),
    epochs: input("lt-epochs", "lt-epochs", { inputmode: "numeric", placeholder: "lesson's" }),
    lr: input("lt-lr", "lt-lr", { placeholder: "lesson's" }),
    seed: input("lt-seed", "lt-seed", { inputmode: "numeric", placeholder: "lesson's" }),
    start: el("button", { type: "submit", class: "button primary", "data-testid": "lt-train", text: "Train" }),
    stop: el("button", { type: "button", class: "button", "data-testid": "lt-stop", text: "Stop", disabled: true }),
    error: el("p", { class: "error", role: "alert", hidden: true }),
    state: el("p", { class: "run-state", "data-testid": "lt-state", "aria-live": "polite" }),
    chart: document.createElementNS(SVG, "svg"),
    milestones: el("tbody"),
    results: el("div", { class: "lt-results", hidden: true }),
    predictions: el("tbody", { "data-testid": "lt-predictions" }),
    ask: el("form", { class: "lt-ask", novalidate: true, "aria-label": "Ask the trained network" }),
    askFields: el("div", { class: "field-grid" }),
    answer: el("p", { class: "lt-answer", "data-testid": "lt-answer", "aria-live": "polite" }),
    stepForm: el("form", { class: "lt-step", novalidate: true, "aria-label": "Step through one step of this training" }),
    stepEpoch: input("lt-step-epoch", "lt-step-epoch", { inputmode: "numeric", value: "1" }),
    stepSample: el("select", { id: "lt-step-sample", "data-testid": "lt-step-sample" }),
  };
  v.form = el(
    "form",
    { class: "lt-form", novalidate: true, "aria-labelledby": "lesson-train-title" },
    el(
      "div",
      { class: "field-grid" },
      field("lt-epochs", "Epochs", v.epochs),
      field("lt-lr", "Learning rate η", v.lr),
      field("lt-seed", "Seed of the initial weights", v.seed),
    ),
    el("div", { class: "controls" }, v.start, v.stop),
    v.error,
  );
  v.chart.setAttribute("viewBox", `0 0 ${CHART.width} ${CHART.height}`);
  v.chart.setAttribute("class", "lt-chart");
  v.chart.setAttribute("role", "img");
  v.chart.setAttribute("data-testid", "lt-chart");
  v.chart.setAttribute("aria-label", "The loss curve appears here while the network trains.");
  v.ask.append(v.askFields, el("div", { class: "controls" }, el("button", { type: "submit", class: "button", "data-testid": "lt-ask", text: "Predict" })), v.answer);
  v.stepForm.append(
    el("div", { class: "field-grid" }, field("lt-step-epoch", "Epoch", v.stepEpoch), field("lt-step-sample", "Sample", v.stepSample)),
    el("div", { class: "controls" }, el("button", { type: "submit", class: "button", "data-testid": "lt-step-open", text: "Step through this step" })),
  );
  v.results.append(
    el("h3", { text: "Predictions after training" }),
    el("table", { class: "lt-table" }, el("thead", {}, el("tr", {}, ...["Who", "Input", "Output", ""].map((t) => el("th", { scope: "col", text: t })))), v.predictions),
    el("h3", { text: "Ask the trained network" }),
    v.ask,
    el("h3", { text: "Step through one step of this training" }),
    v.stepForm,
  );
  host.replaceChildren(
    v.title,
    v.note,
    v.form,
    v.state,
    el("div", { class: "lt-chart-wrap" }, v.chart),
    el("table", { class: "lt-table", "data-testid": "lt-losses" },
      el("caption", { text: "The loss over all samples after these epochs" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Epoch" }), el("th", { scope: "col", text: "Loss" }))),
      v.milestones),
    v.results,
  );
  return v;
}

/** The loss curve so far (epochs 1..total on x, log loss on y). */
export function drawCurve(svg, epochs, losses, total) {
  const { d, lo, hi } = curvePath(epochs, losses, total, CHART);
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("class", "lt-line");
  const axis = document.createElementNS(SVG, "path");
  axis.setAttribute("d", `M${CHART.pad},${CHART.pad}V${CHART.height - CHART.pad}H${CHART.width - CHART.pad}`);
  axis.setAttribute("class", "lt-axis");
  svg.replaceChildren(axis, path);
  if (epochs.length) {
    const last = epochs.length - 1;
    svg.setAttribute(
      "aria-label",
      `Loss on a log scale from ${fmt(hi)} to ${fmt(lo)}; at epoch ${epochs[last]} of ${total} it is ${fmt(losses[last])}.`,
    );
  }
}

/** The rows of the loss table: [epoch, loss] pairs. */
export function fillMilestones(tbody, pairs) {
  tbody.replaceChildren(...pairs.map(([e, loss]) => el("tr", { "data-epoch": String(e) }, el("td", { text: String(e) }), numberCell("td", loss))));
}

/** The predictions of the finished training ([{name, input, output}]); F/M for weight/height. */
export function fillPredictions(tbody, predictions, sexes) {
  tbody.replaceChildren(
    ...predictions.map((p) =>
      el(
        "tr",
        { "data-name": p.name },
        el("th", { scope: "row", text: p.name }),
        el("td", { text: `[${p.input.map((x) => fmt(x)).join(", ")}]` }),
        numberCell("td", p.output),
        el("td", { text: sexes ? (p.output > 0.5 ? "F" : "M") : "" }),
      ),
    ),
  );
}

/** One input per field of the "ask" form. */
export function fillAskFields(host, fields) {
  const inputs = fields.map((f) => input(`lt-in-${f.id}`, `lt-in-${f.id}`, { value: String(f.example) }));
  host.replaceChildren(...fields.map((f, i) => field(`lt-in-${f.id}`, f.label, inputs[i])));
  return inputs;
}
