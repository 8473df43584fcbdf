// The Inspect panel: held-out accuracy, a confusion matrix whose cells open their digits, the most
// confident mistakes, and the first layer's weights as one image per hidden unit.

import { FILTERS_HELP, paintFilters } from "./featuremaps.js";
import { cellIndices } from "./inspect-helpers.js";
import { cellGallery, confusionTable, mistakeFigure, paintWeights } from "./inspect-view.js";
import { el, messageOf, percent, showError } from "./ui.js";

const EXAMPLES_SHOWN = 24;
const MISTAKES_SHOWN = 30;
const WEIGHTS_REFRESH_MS = 3000;
const changedNote = "The network changed: evaluate again to update these figures.";

export function mountInspect(section, ctx) {
  const { client, store } = ctx;
  const part = (id) => section.querySelector(`#${id}`);
  const button = part("evaluate");
  const status = part("evaluate-status");
  const accuracy = part("accuracy");
  const errorBox = part("inspect-error");
  const confusion = part("confusion");
  const examples = part("cell-examples");
  const mistakes = part("mistakes");
  const weights = mountWeights(part, client);

  let report = null;
  let visible = false;
  let training = false;
  // The store's model version the figures were measured on: a note says "changed" only when the
  // weights changed since (store.model.version), not on every event about the same network.
  let measuredVersion = null;
  const stale = () => measuredVersion !== store.model?.version;

  async function images(indices) {
    return Promise.all(indices.map((index) => client.call("test_digit", { index })));
  }

  async function evaluate() {
    button.disabled = true;
    status.textContent = "Evaluating 2,000 held-out digits…";
    showError(errorBox, "");
    const version = store.model?.version;
    try {
      report = await client.call("evaluate", { max_mistakes: MISTAKES_SHOWN });
      measuredVersion = version;
      if (!stale()) store.measured(report.accuracy);
      const right = Math.round(report.accuracy * report.labels.length);
      accuracy.textContent = `${percent(report.accuracy, 2)} of held-out digits right (${right.toLocaleString("en-GB")} of ${report.labels.length.toLocaleString("en-GB")}).`;
      accuracy.dataset.accuracy = String(report.accuracy);
      status.textContent = stale() && store.run.state !== "running" ? changedNote : "";
      renderConfusion();
      examples.replaceChildren();
      await renderMistakes();
    } catch (err) {
      status.textContent = "";
      showError(errorBox, `Could not evaluate: ${messageOf(err)}`);
    } finally {
      button.disabled = false;
    }
  }

  function renderConfusion() {
    confusion.replaceChildren(confusionTable(report.confusion, showCell));
  }

  async function showCell(r, c, b) {
    for (const other of confusion.querySelectorAll("button[aria-pressed]")) other.removeAttribute("aria-pressed");
    b.setAttribute("aria-pressed", "true");
    const indices = cellIndices(report.labels, report.predicted, r, c);
    const heading = el("h3", { text: `True ${r}, predicted ${c}: ${indices.length} digit${indices.length === 1 ? "" : "s"}` });
    if (!indices.length) {
      examples.replaceChildren(heading, el("p", { class: "muted", text: "None." }));
      return;
    }
    examples.replaceChildren(heading, el("p", { class: "muted", text: "Loading…" }));
    try {
      const shown = indices.slice(0, EXAMPLES_SHOWN);
      const digits = await images(shown);
      examples.replaceChildren(heading, ...cellGallery(digits, c, indices.length));
    } catch (err) {
      examples.replaceChildren(heading, el("p", { class: "error", text: messageOf(err) }));
    }
  }

  async function renderMistakes() {
    const m = report.mistakes;
    const n = m.index.length;
    part("mistakes-help").textContent = `${m.count} of ${report.labels.length} held-out digits are wrong; the ${Math.min(n, MISTAKES_SHOWN)} the network was surest about come first.`;
    const digits = await images(Array.from(m.index));
    mistakes.replaceChildren(
      ...digits.map((d, i) => mistakeFigure(d, m, i)),
    );
  }

  button.addEventListener("click", evaluate);
  store.subscribe((event) => {
    if (event.type !== "model") return;
    const wasTraining = training;
    training = store.run.state === "running";
    if (report && !training && !button.disabled && stale()) status.textContent = changedNote;
    if (visible && (!training || !wasTraining)) weights.refresh(training);
    weights.schedule(visible && training);
  });

  return {
    show() {
      visible = true;
      weights.refresh(training);
      if (!report) evaluate();
      weights.schedule(training);
    },
    hide() {
      visible = false;
      weights.schedule(false);
    },
  };
}

/** The first layer's weights: read and painted on request, and every few seconds while training. */
function mountWeights(part, client) {
  const canvas = part("weights");
  const shape = part("weights-shape");
  const status = part("weights-status");
  const help = part("weights-help");
  const denseHelp = help?.textContent;
  let busy = false;
  let timer = null;

  async function refresh(training) {
    if (busy) return;
    busy = true;
    try {
      const w = await client.call("weights", { layer: 0 });
      if (help) help.textContent = w.kind === "conv2d" ? FILTERS_HELP : denseHelp;
      if (w.kind === "conv2d") {
        shape.textContent = paintFilters(canvas, w);
        status.textContent = training ? "Updating every few seconds while training." : "";
        return;
      }
      const [units, inputs] = w.shape;
      shape.textContent = `W1: ${units}×${inputs} (one row of ${inputs} weights per hidden unit)`;
      if (inputs !== 784) {
        status.textContent = "This network's first layer does not take 28×28 images, so its weights cannot be shown as pictures.";
        return;
      }
      paintWeights(canvas, w.data, units);
      status.textContent = training ? "Updating every few seconds while training." : "";
    } catch (err) {
      status.textContent = `Could not read the weights: ${messageOf(err)}`;
    } finally {
      busy = false;
    }
  }

  return {
    refresh,
    /** Refresh every few seconds while `wanted` (the view is on screen and a run is training). */
    schedule(wanted) {
      if (wanted && !timer) timer = setInterval(() => refresh(true), WEIGHTS_REFRESH_MS);
      if (!wanted && timer) {
        clearInterval(timer);
        timer = null;
      }
    },
  };
}
