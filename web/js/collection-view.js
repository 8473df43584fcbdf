// The DOM of My digits: the drawing pad with its label buttons, the collection and its accuracy,
// the fine-tune form, the grid of thumbnails and the file actions. No worker calls and no state:
// collection.js wires these.

import { digitCanvas, el, percent } from "./ui.js";
import { TARGET, plural, points, resultRows, thumbCaption, verdictText } from "./collection-helpers.js";

function buildPad() {
  const p = {
    canvas: el("canvas", {
      id: "mine-canvas", "data-testid": "mine-canvas", width: 280, height: 280, tabindex: 0, role: "img",
      "aria-label": "Drawing area for one digit of your collection", "aria-describedby": "mine-help mine-pen",
    }),
    cursor: el("div", { class: "kbd-cursor", hidden: true }),
    penState: el("span", { class: "muted", id: "mine-pen", "aria-live": "polite" }),
    labelButtons: Array.from({ length: 10 }, (_, d) =>
      el("button", { type: "button", class: "button label-button", "data-testid": `label-${d}`, "aria-label": `It is a ${d}: add it`, text: String(d) }),
    ),
    clear: el("button", { type: "button", class: "button", text: "Clear" }),
    status: el("p", { class: "mine-status", "data-testid": "mine-status", role: "status", "aria-live": "polite" }),
  };
  p.card = el(
    "div",
    { class: "card pad" },
    el("h2", { text: "Draw, then label" }),
    el("div", { class: "canvas-wrap" }, p.canvas, p.cursor),
    el("div", { class: "pad-row" }, p.clear, p.penState),
    el("div", { class: "label-row", role: "group", "aria-labelledby": "mine-label-title" },
      el("p", { id: "mine-label-title", class: "label-title", text: "Which digit is it?" }), ...p.labelButtons),
    el("p", { class: "help", id: "mine-help" }, "Draw with a mouse, finger or pen, then press its digit. Keyboard: focus the drawing area, move with the arrow keys, ", el("kbd", { text: "Space" }), " puts the pen down or lifts it, a digit key ", el("kbd", { text: "0" }), "–", el("kbd", { text: "9" }), " labels the drawing, ", el("kbd", { text: "Delete" }), " clears."),
    p.status,
  );
  return p;
}

function buildSummary() {
  const s = {
    prompt: el("p", { class: "mine-prompt", "data-testid": "mine-prompt" }),
    counts: el("ol", { class: "mine-counts", "aria-label": "Samples per digit" }),
    mineAcc: el("span", { class: "big-figure", "data-testid": "mine-accuracy", text: "–" }),
    mnistAcc: el("span", { class: "big-figure", "data-testid": "mnist-accuracy", text: "–" }),
    accNote: el("p", { class: "help", "aria-live": "polite" }),
    measure: el("button", { type: "button", class: "button small", text: "Measure again" }),
  };
  s.card = el(
    "div",
    { class: "card" },
    el("h2", { text: "Your collection" }),
    s.prompt,
    s.counts,
    el("h3", { text: "How well does the network read you?" }),
    el("div", { class: "acc-pair" },
      el("div", {}, el("span", { class: "acc-label", text: "Your digits" }), s.mineAcc),
      el("div", {}, el("span", { class: "acc-label", text: "MNIST held-out digits" }), s.mnistAcc)),
    s.accNote,
    s.measure,
  );
  return s;
}

function buildFinetune() {
  const f = {
    help: el("p", { class: "help" }),
    mix: el("input", { id: "ft-mix", type: "range", min: 0, max: 90, step: 5, value: 50, "aria-describedby": "ft-mix-help" }),
    mixOut: el("output", { for: "ft-mix", id: "ft-mix-out", text: "50%" }),
    epochs: el("input", { id: "ft-epochs", type: "number", min: 1, max: 50, step: 1, value: 5, inputmode: "numeric" }),
    seed: el("input", { id: "ft-seed", type: "text", inputmode: "numeric", autocomplete: "off", value: "0", "aria-describedby": "ft-seed-help" }),
    newSeed: el("button", { type: "button", class: "button small", text: "New seed" }),
    start: el("button", { type: "submit", class: "button primary", "data-testid": "finetune", text: "Fine-tune on my digits" }),
    stop: el("button", { type: "button", class: "button", "data-testid": "finetune-stop", text: "Stop", disabled: true }),
    error: el("p", { class: "error", role: "alert", hidden: true }),
    bar: el("progress", { max: 1, value: 0, "aria-label": "Fine-tuning progress", hidden: true }),
    state: el("p", { class: "run-state", "data-testid": "finetune-state", "aria-live": "polite" }),
    progress: el("p", { class: "muted" }),
    result: el("div", { "data-testid": "finetune-result", "aria-live": "polite" }),
  };
  f.form = el(
    "form",
    { class: "card finetune", novalidate: true, "aria-labelledby": "ft-title" },
    el("h2", { id: "ft-title", text: "Fine-tune on my digits" }),
    f.help,
    el("div", { class: "field-grid" },
      el("div", { class: "field" }, el("label", { for: "ft-mix", text: "Share of MNIST digits in the mix" }), el("div", { class: "range-row" }, f.mix, f.mixOut), el("p", { class: "hint", id: "ft-mix-help", text: "More MNIST keeps the network good at everyone's digits" })),
      el("div", { class: "field" }, el("label", { for: "ft-epochs", text: "Epochs" }), f.epochs),
      el("div", { class: "field" }, el("label", { for: "ft-seed", text: "Seed" }), el("span", { class: "seed-row" }, f.seed, " ", f.newSeed), el("p", { class: "hint", id: "ft-seed-help", text: "Chooses the held-out drawings, the MNIST digits and the batch order" }))),
    f.error,
    el("div", { class: "controls" }, f.start, f.stop),
    f.bar,
    f.state,
    f.progress,
    el("p", { class: "hint" }, "The loss per batch and the accuracy per epoch of the run are drawn live in ", el("a", { href: "#/train", text: "the Train view's charts" }), "."),
    f.result,
  );
  return f;
}

function buildFiles() {
  const x = {
    export: el("button", { type: "button", class: "button", "data-testid": "mine-export", text: "Export my digits (.npz)" }),
    import: el("input", { type: "file", id: "mine-import", "data-testid": "mine-import", accept: ".npz,application/octet-stream", "aria-describedby": "mine-import-help" }),
    clearAll: el("button", { type: "button", class: "button subtle", "data-testid": "mine-clear-all", text: "Delete all…" }),
    confirmYes: el("button", { type: "button", class: "button danger", "data-testid": "mine-clear-confirm", text: "Yes, delete them all" }),
    confirmNo: el("button", { type: "button", class: "button", text: "Cancel" }),
    confirmText: el("p", {}),
    message: el("p", { class: "notice", role: "status", "aria-live": "polite" }),
    error: el("p", { class: "error", role: "alert", hidden: true }),
  };
  x.confirmBox = el("div", { class: "confirm", role: "group", "aria-label": "Confirm deleting every digit", hidden: true }, x.confirmText, x.confirmYes, " ", x.confirmNo);
  x.card = el(
    "div",
    { class: "card models-actions" },
    el("div", {}, el("h2", { text: "Export" }), el("p", { class: "help" }, "The same compact ", el("code", { text: ".npz" }), " format as the bundled MNIST subset: your held-out drawings form its test split. Train on it with ", el("code", { text: "python -m pycore train --data my-digits.npz" }), "."), x.export),
    el("div", {}, el("h2", {}, el("label", { for: "mine-import", text: "Import" })), el("p", { class: "help", id: "mine-import-help", text: "A digit file exported here (or any file in that format). Its digits join your collection; ones you already have are skipped." }), x.import),
    el("div", {}, el("h2", { text: "Start over" }), el("p", { class: "help", text: "Deletes every digit in your collection from this browser." }), x.clearAll, x.confirmBox),
  );
  return x;
}

/** Build the whole panel into `section`; returns every node the wiring needs. */
export function buildCollectionView(section) {
  const v = { pad: buildPad(), summary: buildSummary(), ft: buildFinetune(), files: buildFiles() };
  v.grid = el("div", { class: "mine-grid-digits", "data-testid": "mine-grid" });
  section.replaceChildren(
    el("h1", { id: "mine-title", text: "My digits" }),
    el("p", { class: "lede", text: "Teach the network your handwriting. Draw a digit, say which one it is, and it joins your collection, kept only in this browser. Then see how well the network reads you, and fine-tune it." }),
    el("div", { class: "mine-top" }, v.pad.card, v.summary.card),
    v.ft.form,
    el("div", { class: "card", "aria-labelledby": "mine-grid-title" }, el("h2", { id: "mine-grid-title", text: "Every digit you labelled" }), v.grid),
    v.files.card,
    v.files.message,
    v.files.error,
  );
  return v;
}

/** One count per digit, marked once it reaches the target. */
export function renderCounts(list, c) {
  list.replaceChildren(
    ...c.map((n, d) => el("li", { class: n >= TARGET ? "enough" : "", "data-digit": d }, el("span", { class: "count-digit", text: String(d) }), el("span", { class: "count-n", text: String(n) }))),
  );
}

function thumb(record, index, total, guess, held, onDelete) {
  const caption = thumbCaption(record.label, guess, held);
  const wrong = guess !== undefined && guess !== record.label;
  return el(
    "li",
    { class: `mine-item${wrong ? " wrong" : ""}`, "data-id": record.id },
    digitCanvas(record.pixels, `Your ${record.label}, number ${index + 1} of ${total}${caption ? `, ${caption}` : ""}`),
    el("span", { class: "mine-caption", text: caption || "\u00a0" }),
    el("a", { href: `#/step/mine/${record.id}`, class: "button small subtle", "data-testid": "mine-step", "aria-label": `Step through your ${record.label}, number ${index + 1} of ${total}`, text: "Step through" }),
    el("button", { type: "button", class: "button small delete", "aria-label": `Delete your ${record.label}, number ${index + 1} of ${total}`, text: "Delete", onclick: () => onDelete(record.id) }),
  );
}

/** The thumbnails grouped by digit; `predicted` (id → digit read) and `heldOut` (ids) caption them. */
export function renderGrid(grid, digits, { predicted, heldOut, onDelete }) {
  const groups = [];
  for (let d = 0; d < 10; d++) {
    const mine = digits.filter((r) => r.label === d);
    if (!mine.length) continue;
    groups.push(
      el("div", { class: "mine-group", "data-digit": d },
        el("h3", { text: `${d} · ${plural(mine.length, "sample")}` }),
        el("ul", { class: "mine-items" }, mine.map((r, i) => thumb(r, i, mine.length, predicted.get(r.id), heldOut.has(r.id), onDelete)))),
    );
  }
  grid.replaceChildren(...(groups.length ? groups : [el("p", { class: "muted", text: "No digits yet: draw one above and press its digit." })]));
  grid.dataset.count = String(digits.length);
}

/** The accuracy before and after a fine-tune, and what it means. */
export function renderResult(host, { before, after, verdict }) {
  const table = el(
    "table",
    { class: "data" },
    el("caption", { text: "Accuracy before and after fine-tuning" }),
    el("thead", {}, el("tr", {}, ["", "Before", "After", "Change"].map((h, i) => el("th", { scope: "col", text: h || "Digits", class: i ? "num" : "" })))),
    el("tbody", {}, resultRows(before, after).map(([name, b, a, key]) =>
      el("tr", { "data-row": key, "data-before": b ?? "", "data-after": a ?? "" },
        el("th", { scope: "row", text: name }),
        el("td", { class: "num", text: b === null ? "none held out" : percent(b) }),
        el("td", { class: "num", text: a === null ? "–" : percent(a) }),
        el("td", { class: "num", text: points(b, a) })))),
  );
  const said = el("p", { class: "verdict", "data-testid": "finetune-verdict", "data-kind": verdict?.kind || "", text: verdictText(before, after, verdict) });
  host.replaceChildren(el("div", { class: "table-wrap" }, table), said);
}
