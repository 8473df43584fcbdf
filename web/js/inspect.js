// The Inspect panel: held-out accuracy, a confusion matrix whose cells open their digits, the most
// confident mistakes, and the first layer's weights as one image per hidden unit.

import { byId, digitCanvas, diverging, el, messageOf, percent, showError } from "./ui.js";

const EXAMPLES_SHOWN = 24;
const MISTAKES_SHOWN = 30;
const WEIGHTS_REFRESH_MS = 3000;
const TILE = 28;
const GAP = 2;

export function mountInspect(ctx) {
  const { client, events } = ctx;
  const button = byId("evaluate");
  const status = byId("evaluate-status");
  const accuracy = byId("accuracy");
  const errorBox = byId("inspect-error");
  const confusion = byId("confusion");
  const examples = byId("cell-examples");
  const mistakes = byId("mistakes");
  const weightsCanvas = byId("weights");
  const weightsShape = byId("weights-shape");
  const weightsStatus = byId("weights-status");

  let report = null;
  let visible = false;
  let stale = true;
  let weightsTimer = null;
  let training = false;
  let weightsBusy = false;

  async function images(indices) {
    return Promise.all(indices.map((index) => client.call("test_digit", { index })));
  }

  function digitFigure(digit, caption, label) {
    return el("figure", { class: "digit-card" }, digitCanvas(digit.image, label), el("figcaption", {}, caption));
  }

  async function evaluate() {
    button.disabled = true;
    status.textContent = "Evaluating 2,000 held-out digits…";
    showError(errorBox, "");
    try {
      report = await client.call("evaluate", { max_mistakes: MISTAKES_SHOWN });
      stale = false;
      const right = Math.round(report.accuracy * report.labels.length);
      accuracy.textContent = `${percent(report.accuracy, 2)} of held-out digits right (${right.toLocaleString("en-GB")} of ${report.labels.length.toLocaleString("en-GB")}).`;
      accuracy.dataset.accuracy = String(report.accuracy);
      status.textContent = "";
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
    const counts = report.confusion;
    let max = 0;
    for (let i = 0; i < 100; i++) if (Math.floor(i / 10) !== i % 10) max = Math.max(max, counts[i]);
    const head = el("tr", {}, el("td", { class: "corner" }, el("span", { class: "visually-hidden", text: "True digit by predicted digit" })),
      Array.from({ length: 10 }, (_, c) => el("th", { scope: "col", text: String(c) })));
    const rows = [];
    for (let r = 0; r < 10; r++) {
      const cells = [el("th", { scope: "row", text: String(r) })];
      for (let c = 0; c < 10; c++) {
        const n = counts[r * 10 + c];
        const diagonal = r === c;
        const b = el("button", {
          type: "button",
          class: `cell${diagonal ? " diagonal" : ""}${n === 0 ? " zero" : ""}`,
          "data-true": String(r),
          "data-predicted": String(c),
          "aria-label": `${n} digit${n === 1 ? "" : "s"} that ${n === 1 ? "is" : "are"} ${r}, predicted ${c}`,
          text: String(n),
          onclick: () => showCell(r, c, b),
        });
        if (!diagonal && n > 0 && max > 0) {
          // Off-diagonal mistakes: deeper orange for more; dark text stays readable on all of them.
          const [red, green, blue] = diverging(0.15 + (0.6 * n) / max);
          b.style.backgroundColor = `rgb(${red}, ${green}, ${blue})`;
        }
        cells.push(el("td", {}, b));
      }
      rows.push(el("tr", {}, cells));
    }
    confusion.replaceChildren(
      el("table", { class: "confusion" },
        el("caption", { class: "visually-hidden", text: "Confusion matrix: rows are the true digit, columns the prediction" }),
        el("thead", {}, el("tr", {}, el("td", {}), el("th", { scope: "colgroup", colspan: "10", class: "axis", text: "predicted" })), head),
        el("tbody", {}, rows)),
    );
  }

  async function showCell(r, c, b) {
    for (const other of confusion.querySelectorAll("button[aria-pressed]")) other.removeAttribute("aria-pressed");
    b.setAttribute("aria-pressed", "true");
    const indices = [];
    for (let i = 0; i < report.labels.length; i++) {
      if (report.labels[i] === r && report.predicted[i] === c) indices.push(i);
    }
    const heading = el("h3", { text: `True ${r}, predicted ${c}: ${indices.length} digit${indices.length === 1 ? "" : "s"}` });
    if (!indices.length) {
      examples.replaceChildren(heading, el("p", { class: "muted", text: "None." }));
      return;
    }
    examples.replaceChildren(heading, el("p", { class: "muted", text: "Loading…" }));
    try {
      const shown = indices.slice(0, EXAMPLES_SHOWN);
      const digits = await images(shown);
      const gallery = el("div", { class: "gallery", "data-testid": "cell-examples" },
        digits.map((d) => digitFigure(d, `#${d.index}`, `Held-out digit ${d.index}: a ${d.label}, predicted ${c}`)));
      const more = indices.length > shown.length ? el("p", { class: "muted", text: `Showing ${shown.length} of ${indices.length}.` }) : null;
      examples.replaceChildren(...[heading, gallery, more].filter(Boolean));
    } catch (err) {
      examples.replaceChildren(heading, el("p", { class: "error", text: messageOf(err) }));
    }
  }

  async function renderMistakes() {
    const m = report.mistakes;
    const n = m.index.length;
    byId("mistakes-help").textContent = `${m.count} of ${report.labels.length} held-out digits are wrong; the ${Math.min(n, MISTAKES_SHOWN)} the network was surest about come first.`;
    const digits = await images(Array.from(m.index));
    mistakes.replaceChildren(
      ...digits.map((d, i) => {
        const p = m.probs[i * 10 + m.predicted[i]]; // probs holds one row of 10 per mistake
        return digitFigure(
          d,
          el("span", {}, el("span", { class: "truth", text: `is ${m.label[i]}` }), " ", el("span", { class: "guess", text: `said ${m.predicted[i]} (${percent(p, 0)})` })),
          `Held-out digit ${d.index}: a ${m.label[i]}, predicted ${m.predicted[i]} with ${percent(p, 0)} probability`,
        );
      }),
    );
  }

  // --- first-layer weights ---------------------------------------------------------------------
  async function refreshWeights() {
    if (weightsBusy) return;
    weightsBusy = true;
    try {
      const w = await client.call("weights", { layer: 0 });
      const [units, inputs] = w.shape;
      weightsShape.textContent = `W1: ${units}×${inputs} (one row of ${inputs} weights per hidden unit)`;
      if (inputs !== 784) {
        weightsStatus.textContent = "This network's first layer does not take 28×28 images, so its weights cannot be shown as pictures.";
        return;
      }
      paintWeights(w.data, units);
      weightsStatus.textContent = training ? "Updating every few seconds while training." : "";
    } catch (err) {
      weightsStatus.textContent = `Could not read the weights: ${messageOf(err)}`;
    } finally {
      weightsBusy = false;
    }
  }

  function paintWeights(data, units) {
    const columns = Math.min(units, Math.max(4, Math.ceil(Math.sqrt(units * 1.6))));
    const rows = Math.ceil(units / columns);
    weightsCanvas.width = columns * (TILE + GAP) - GAP;
    weightsCanvas.height = rows * (TILE + GAP) - GAP;
    const g = weightsCanvas.getContext("2d");
    const image = g.createImageData(weightsCanvas.width, weightsCanvas.height);
    image.data.fill(255);
    for (let u = 0; u < units; u++) {
      let scale = 0;
      for (let k = 0; k < 784; k++) scale = Math.max(scale, Math.abs(data[u * 784 + k]));
      scale = scale || 1;
      const ox = (u % columns) * (TILE + GAP);
      const oy = Math.floor(u / columns) * (TILE + GAP);
      for (let k = 0; k < 784; k++) {
        const [r, gr, b] = diverging(data[u * 784 + k] / scale);
        const at = ((oy + Math.floor(k / 28)) * weightsCanvas.width + ox + (k % 28)) * 4;
        image.data[at] = r;
        image.data[at + 1] = gr;
        image.data[at + 2] = b;
      }
    }
    g.putImageData(image, 0, 0);
    weightsCanvas.setAttribute("aria-label", `First-layer weights of ${units} hidden units, one 28 by 28 tile each`);
    weightsCanvas.style.setProperty("--columns", columns);
  }

  function schedule() {
    const wanted = visible && training;
    if (wanted && !weightsTimer) weightsTimer = setInterval(refreshWeights, WEIGHTS_REFRESH_MS);
    if (!wanted && weightsTimer) {
      clearInterval(weightsTimer);
      weightsTimer = null;
    }
  }

  button.addEventListener("click", evaluate);
  events.addEventListener("model-changed", (event) => {
    const wasTraining = training;
    training = Boolean(event.detail && event.detail.training);
    stale = true;
    if (report && !training) status.textContent = "The network changed: evaluate again to update these figures.";
    if (visible && (!training || !wasTraining)) refreshWeights();
    schedule();
  });

  return {
    show() {
      visible = true;
      refreshWeights();
      if (stale && !report) evaluate();
      schedule();
    },
    hide() {
      visible = false;
      schedule();
    },
  };
}
