// My digits (#/mine): teach the network your own handwriting.
//
// Draw a digit, label it (a digit button, or its key 0-9 while drawing); pycore preprocesses the
// drawing exactly as for a prediction and the 28x28 image it returns joins the collection, kept in
// IndexedDB (persist.js). The panel shows the collection per digit with delete, suggests what to
// draw next, measures the current network on it next to MNIST, exports and imports it in the
// bundled subset's file format, and fine-tunes the network on it mixed with MNIST in the worker,
// reporting accuracy before and after on held-out drawings: did it generalise or memorise?

import { addDigits, allDigits, clearDigits, deleteDigit, newSeed } from "./persist.js";
import { makePad } from "./pad.js";
import { digitCanvas, el, messageOf, percent, showError } from "./ui.js";

const TARGET = 5; // samples per digit worth aiming for: enough to hold one out and learn from four
const MEASURE_DELAY_MS = 600;

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function points(before, after) {
  if (before === null || after === null) return "";
  const d = (after - before) * 100;
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)} points`;
}


export function mountCollection(section, ctx) {
  const { client, events } = ctx;

  // --- the view ----------------------------------------------------------------------------------
  const canvas = el("canvas", {
    id: "mine-canvas", "data-testid": "mine-canvas", width: 280, height: 280, tabindex: 0, role: "img",
    "aria-label": "Drawing area for one digit of your collection", "aria-describedby": "mine-help mine-pen",
  });
  const cursor = el("div", { class: "kbd-cursor", hidden: true });
  const penState = el("span", { class: "muted", id: "mine-pen", "aria-live": "polite" });
  const labelButtons = Array.from({ length: 10 }, (_, d) =>
    el("button", { type: "button", class: "button label-button", "data-testid": `label-${d}`, "aria-label": `It is a ${d}: add it`, text: String(d) }),
  );
  const clearButton = el("button", { type: "button", class: "button", text: "Clear" });
  const status = el("p", { class: "mine-status", "data-testid": "mine-status", role: "status", "aria-live": "polite" });
  const prompt = el("p", { class: "mine-prompt", "data-testid": "mine-prompt" });
  const countsList = el("ol", { class: "mine-counts", "aria-label": "Samples per digit" });

  const mineAcc = el("span", { class: "big-figure", "data-testid": "mine-accuracy", text: "–" });
  const mnistAcc = el("span", { class: "big-figure", "data-testid": "mnist-accuracy", text: "–" });
  const accNote = el("p", { class: "help", "aria-live": "polite" });
  const measureButton = el("button", { type: "button", class: "button small", text: "Measure again" });

  const mix = el("input", { id: "ft-mix", type: "range", min: 0, max: 90, step: 5, value: 50, "aria-describedby": "ft-mix-help" });
  const mixOut = el("output", { for: "ft-mix", id: "ft-mix-out", text: "50%" });
  const epochs = el("input", { id: "ft-epochs", type: "number", min: 1, max: 50, step: 1, value: 5, inputmode: "numeric" });
  const seed = el("input", { id: "ft-seed", type: "text", inputmode: "numeric", autocomplete: "off", value: "0", "aria-describedby": "ft-seed-help" });
  const seedButton = el("button", { type: "button", class: "button small", text: "New seed" });
  const ftButton = el("button", { type: "submit", class: "button primary", "data-testid": "finetune", text: "Fine-tune on my digits" });
  const ftStop = el("button", { type: "button", class: "button", "data-testid": "finetune-stop", text: "Stop", disabled: true });
  const ftError = el("p", { class: "error", role: "alert", hidden: true });
  const ftBar = el("progress", { max: 1, value: 0, "aria-label": "Fine-tuning progress", hidden: true });
  const ftState = el("p", { class: "run-state", "data-testid": "finetune-state", "aria-live": "polite" });
  const ftProgress = el("p", { class: "muted" });
  const ftResult = el("div", { "data-testid": "finetune-result", "aria-live": "polite" });

  const exportButton = el("button", { type: "button", class: "button", "data-testid": "mine-export", text: "Export my digits (.npz)" });
  const importInput = el("input", { type: "file", id: "mine-import", "data-testid": "mine-import", accept: ".npz,application/octet-stream", "aria-describedby": "mine-import-help" });
  const clearAll = el("button", { type: "button", class: "button subtle", "data-testid": "mine-clear-all", text: "Delete all…" });
  const confirmBox = el("div", { class: "confirm", role: "group", "aria-label": "Confirm deleting every digit", hidden: true });
  const fileMessage = el("p", { class: "notice", role: "status", "aria-live": "polite" });
  const fileError = el("p", { class: "error", role: "alert", hidden: true });
  const grid = el("div", { class: "mine-grid-digits", "data-testid": "mine-grid" });

  section.replaceChildren(
    el("h1", { id: "mine-title", text: "My digits" }),
    el("p", { class: "lede", text: "Teach the network your handwriting. Draw a digit, say which one it is, and it joins your collection, kept only in this browser. Then see how well the network reads you, and fine-tune it." }),
    el(
      "div",
      { class: "mine-top" },
      el(
        "div",
        { class: "card pad" },
        el("h2", { text: "Draw, then label" }),
        el("div", { class: "canvas-wrap" }, canvas, cursor),
        el("div", { class: "pad-row" }, clearButton, penState),
        el("div", { class: "label-row", role: "group", "aria-labelledby": "mine-label-title" },
          el("p", { id: "mine-label-title", class: "label-title", text: "Which digit is it?" }), ...labelButtons),
        el("p", { class: "help", id: "mine-help" }, "Draw with a mouse, finger or pen, then press its digit. Keyboard: focus the drawing area, move with the arrow keys, ", el("kbd", { text: "Space" }), " puts the pen down or lifts it, a digit key ", el("kbd", { text: "0" }), "–", el("kbd", { text: "9" }), " labels the drawing, ", el("kbd", { text: "Delete" }), " clears."),
        status,
      ),
      el(
        "div",
        { class: "card" },
        el("h2", { text: "Your collection" }),
        prompt,
        countsList,
        el("h3", { text: "How well does the network read you?" }),
        el("div", { class: "acc-pair" },
          el("div", {}, el("span", { class: "acc-label", text: "Your digits" }), mineAcc),
          el("div", {}, el("span", { class: "acc-label", text: "MNIST held-out digits" }), mnistAcc)),
        accNote,
        measureButton,
      ),
    ),
    el(
      "form",
      { class: "card finetune", novalidate: true, "aria-labelledby": "ft-title" },
      el("h2", { id: "ft-title", text: "Fine-tune on my digits" }),
      el("p", { class: "help", text: "Goes on training the current network, in the background, on your digits mixed with MNIST training digits (Adam, learning rate 0.0005, batches of 16). About one in five of your drawings of each digit is held out, chosen by the seed: the network never trains on them, so they show whether it learned your style or only memorised the drawings it saw." }),
      el("div", { class: "field-grid" },
        el("div", { class: "field" }, el("label", { for: "ft-mix", text: "Share of MNIST digits in the mix" }), el("div", { class: "range-row" }, mix, mixOut), el("p", { class: "hint", id: "ft-mix-help", text: "More MNIST keeps the network good at everyone's digits" })),
        el("div", { class: "field" }, el("label", { for: "ft-epochs", text: "Epochs" }), epochs),
        el("div", { class: "field" }, el("label", { for: "ft-seed", text: "Seed" }), el("span", { class: "seed-row" }, seed, " ", seedButton), el("p", { class: "hint", id: "ft-seed-help", text: "Chooses the held-out drawings, the MNIST digits and the batch order" }))),
      ftError,
      el("div", { class: "controls" }, ftButton, ftStop),
      ftBar,
      ftState,
      ftProgress,
      el("p", { class: "hint" }, "The loss per batch and the accuracy per epoch of the run are drawn live in ", el("a", { href: "#/train", text: "the Train view's charts" }), "."),
      ftResult,
    ),
    el("div", { class: "card", "aria-labelledby": "mine-grid-title" }, el("h2", { id: "mine-grid-title", text: "Every digit you labelled" }), grid),
    el(
      "div",
      { class: "card models-actions" },
      el("div", {}, el("h2", { text: "Export" }), el("p", { class: "help" }, "The same compact ", el("code", { text: ".npz" }), " format as the bundled MNIST subset: your held-out drawings form its test split. Train on it with ", el("code", { text: "python -m pycore train --data my-digits.npz" }), "."), exportButton),
      el("div", {}, el("h2", {}, el("label", { for: "mine-import", text: "Import" })), el("p", { class: "help", id: "mine-import-help", text: "A digit file exported here (or any file in that format). Its digits join your collection; ones you already have are skipped." }), importInput),
      el("div", {}, el("h2", { text: "Start over" }), el("p", { class: "help", text: "Deletes every digit in your collection from this browser." }), clearAll, confirmBox),
    ),
    fileMessage,
    fileError,
  );

  // --- the collection ------------------------------------------------------------------------------
  let digits = []; // {id, label, pixels, added}, oldest first
  const predicted = new Map(); // id -> digit the current network reads
  let heldOut = new Set(); // ids held out by the last fine-tune
  let visible = false;
  let measureTimer = null;
  let measuring = false;

  function counts() {
    const c = new Array(10).fill(0);
    for (const d of digits) c[d.label] += 1;
    return c;
  }

  function renderPrompt() {
    const c = counts();
    const fewest = Math.min(...c);
    if (digits.length === 0) {
      prompt.textContent = `Start with any digit. Aim for at least ${TARGET} of each.`;
    } else if (fewest >= TARGET) {
      prompt.textContent = `Every digit has at least ${TARGET} samples: enough to fine-tune. More samples make the held-out test more telling.`;
    } else {
      const need = c.map((n, d) => [n, d]).filter(([n]) => n === fewest).map(([, d]) => d);
      prompt.textContent = `Next, draw ${need.length === 1 ? `a ${need[0]}` : `one of ${need.join(", ")}`}: ${need.length === 1 ? "it has" : "they have"} the fewest samples (${fewest}). Aim for at least ${TARGET} of each digit.`;
    }
    prompt.dataset.total = String(digits.length);
    countsList.replaceChildren(
      ...c.map((n, d) => el("li", { class: n >= TARGET ? "enough" : "", "data-digit": d }, el("span", { class: "count-digit", text: String(d) }), el("span", { class: "count-n", text: String(n) }))),
    );
  }

  function thumb(record, index, total) {
    const guess = predicted.get(record.id);
    const wrong = guess !== undefined && guess !== record.label;
    const held = heldOut.has(record.id);
    const caption = [guess === undefined ? "" : wrong ? `read as ${guess}` : "read right", held ? "held out" : ""].filter(Boolean).join(" · ");
    return el(
      "li",
      { class: `mine-item${wrong ? " wrong" : ""}`, "data-id": record.id },
      digitCanvas(record.pixels, `Your ${record.label}, number ${index + 1} of ${total}${caption ? `, ${caption}` : ""}`),
      el("span", { class: "mine-caption", text: caption || "\u00a0" }),
      el("button", { type: "button", class: "button small delete", "aria-label": `Delete your ${record.label}, number ${index + 1} of ${total}`, text: "Delete", onclick: () => remove(record.id) }),
    );
  }

  function renderGrid() {
    const groups = [];
    for (let d = 0; d < 10; d++) {
      const mine = digits.filter((r) => r.label === d);
      if (!mine.length) continue;
      groups.push(
        el("div", { class: "mine-group", "data-digit": d },
          el("h3", { text: `${d} · ${plural(mine.length, "sample")}` }),
          el("ul", { class: "mine-items" }, mine.map((r, i) => thumb(r, i, mine.length)))),
      );
    }
    grid.replaceChildren(...(groups.length ? groups : [el("p", { class: "muted", text: "No digits yet: draw one above and press its digit." })]));
    grid.dataset.count = String(digits.length);
  }

  function render() {
    renderPrompt();
    renderGrid();
    exportButton.disabled = digits.length === 0;
    clearAll.disabled = digits.length === 0;
  }

  function packed(list = digits) {
    const pixels = new Uint8Array(list.length * 784);
    const labels = new Uint8Array(list.length);
    list.forEach((d, i) => {
      pixels.set(d.pixels, i * 784);
      labels[i] = d.label;
    });
    return { pixels, labels };
  }

  // --- accuracy ----------------------------------------------------------------------------------
  async function measure() {
    measureTimer = null;
    if (measuring || !client.ready) return;
    measuring = true;
    const list = digits.slice();
    try {
      const r = await client.call("my_digits_accuracy", packed(list));
      predicted.clear();
      list.forEach((d, i) => predicted.set(d.id, r.predicted[i]));
      mineAcc.textContent = r.count ? percent(r.accuracy) : "–";
      mineAcc.dataset.value = r.count ? String(r.accuracy) : "";
      mnistAcc.textContent = percent(r.mnist_accuracy);
      mnistAcc.dataset.value = String(r.mnist_accuracy);
      accNote.textContent = r.count
        ? `The current network reads ${r.correct} of your ${r.count} digits right, and ${percent(r.mnist_accuracy)} of the 2,000 MNIST digits it never trained on.`
        : "Label a few digits to see how well the network reads your handwriting.";
      renderGrid();
    } catch (err) {
      accNote.textContent = `Could not measure: ${messageOf(err)}`;
    } finally {
      measuring = false;
    }
  }

  function measureSoon() {
    clearTimeout(measureTimer);
    measureTimer = setTimeout(measure, MEASURE_DELAY_MS);
  }

  measureButton.addEventListener("click", () => measure());
  events.addEventListener("model-changed", (event) => {
    if (event.detail?.training) return; // the fine-tune reports when it ends
    if (visible) measureSoon();
  });

  // --- drawing and labelling ---------------------------------------------------------------------
  async function label(d) {
    if (!pad.hasInk) {
      status.textContent = "Draw a digit first, then press its label.";
      return;
    }
    const ink = pad.readInk();
    try {
      const r = await client.call("predict", { pixels: ink, width: canvas.width, height: canvas.height });
      if (r.empty) {
        status.textContent = "The drawing is empty: draw a digit first.";
        return;
      }
      const pixels = new Uint8Array(784);
      for (let i = 0; i < 784; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(r.image[i] * 255)));
      const [record] = await addDigits([{ label: d, pixels }]);
      digits.push(record);
      predicted.set(record.id, r.digit);
      pad.clear();
      const n = counts()[d];
      status.textContent = `Added a ${d} (the network read it as ${r.digit}). You have ${plural(n, "sample")} of ${d}.`;
      render();
      measureSoon();
    } catch (err) {
      status.textContent = `Could not add the digit: ${messageOf(err)}`;
    }
  }

  async function remove(id) {
    const index = digits.findIndex((d) => d.id === id);
    if (index < 0) return;
    const record = digits[index];
    try {
      await deleteDigit(id);
      digits.splice(index, 1);
      predicted.delete(id);
      heldOut.delete(id);
      render();
      status.textContent = `Deleted one ${record.label}.`;
      const next = grid.querySelector(`[data-digit="${record.label}"] .delete`) || canvas;
      next.focus();
      measureSoon();
    } catch (err) {
      status.textContent = `Could not delete: ${messageOf(err)}`;
    }
  }

  const pad = makePad(canvas, cursor, penState, {
    onStroke: () => {
      status.textContent = "Now press the digit it shows.";
    },
    onKey: (e) => {
      if (/^[0-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        label(Number(e.key));
        return true;
      }
      if (e.key === "Delete" || e.key === "Backspace") {
        pad.clear();
        status.textContent = "Drawing cleared.";
        return true;
      }
      return false;
    },
  });
  labelButtons.forEach((b, d) => b.addEventListener("click", () => label(d)));
  clearButton.addEventListener("click", () => {
    pad.clear();
    status.textContent = "Drawing cleared.";
  });

  // --- export, import, delete all ------------------------------------------------------------------
  function seedValue() {
    const n = Number(seed.value.trim());
    if (!Number.isInteger(n) || n < 0 || n > 4294967295) throw new Error("The seed must be a whole number from 0 to 4294967295.");
    return n;
  }

  exportButton.addEventListener("click", async () => {
    showError(fileError, "");
    try {
      const bytes = await client.call("export_collection", { ...packed(), seed: seedValue() });
      const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
      const link = el("a", { href: url, download: "my-digits.npz", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      fileMessage.textContent = `Exported ${plural(digits.length, "digit")} as my-digits.npz (${(bytes.length / 1024).toFixed(0)} KB).`;
    } catch (err) {
      showError(fileError, `Could not export: ${messageOf(err)}`);
    }
  });

  importInput.addEventListener("change", async () => {
    const file = importInput.files && importInput.files[0];
    if (!file) return;
    showError(fileError, "");
    fileMessage.textContent = `Reading ${file.name}…`;
    try {
      const r = await client.call("import_collection", { data: new Uint8Array(await file.arrayBuffer()) });
      const have = new Set(digits.map((d) => `${d.label}:${d.pixels.join(",")}`));
      const fresh = [];
      for (let i = 0; i < r.count; i++) {
        const pixels = r.pixels.slice(i * 784, (i + 1) * 784);
        const key = `${r.labels[i]}:${pixels.join(",")}`;
        if (have.has(key)) continue;
        have.add(key);
        fresh.push({ label: r.labels[i], pixels });
      }
      digits.push(...(await addDigits(fresh)));
      render();
      measureSoon();
      fileMessage.textContent = `Imported ${plural(fresh.length, "digit")} from ${file.name}${r.count > fresh.length ? ` (${r.count - fresh.length} you already had were skipped)` : ""}.`;
    } catch (err) {
      fileMessage.textContent = "";
      showError(fileError, `${file.name} was not imported: ${messageOf(err)} Your collection is unchanged.`);
    } finally {
      importInput.value = "";
    }
  });

  const confirmYes = el("button", { type: "button", class: "button danger", "data-testid": "mine-clear-confirm", text: "Yes, delete them all" });
  const confirmNo = el("button", { type: "button", class: "button", text: "Cancel" });
  const confirmText = el("p", {});
  confirmBox.append(confirmText, confirmYes, " ", confirmNo);
  clearAll.addEventListener("click", () => {
    confirmText.textContent = `Delete all ${plural(digits.length, "digit")}? This cannot be undone (export them first to keep a copy).`;
    confirmBox.hidden = false;
    clearAll.hidden = true;
    confirmNo.focus();
  });
  const closeConfirm = () => {
    confirmBox.hidden = true;
    clearAll.hidden = false;
    clearAll.focus();
  };
  confirmNo.addEventListener("click", closeConfirm);
  confirmYes.addEventListener("click", async () => {
    try {
      await clearDigits();
      const n = digits.length;
      digits = [];
      predicted.clear();
      heldOut = new Set();
      render();
      measureSoon();
      fileMessage.textContent = `Deleted ${plural(n, "digit")}.`;
    } catch (err) {
      showError(fileError, `Could not delete: ${messageOf(err)}`);
    }
    closeConfirm();
  });

  // --- fine-tuning ---------------------------------------------------------------------------------
  let tuning = null; // {total} while our run is the worker's run

  mix.addEventListener("input", () => {
    mixOut.textContent = `${mix.value}%`;
  });
  seedButton.addEventListener("click", () => {
    seed.value = String(newSeed());
  });
  ftStop.addEventListener("click", () => {
    client.call("train_stop").catch((err) => showError(ftError, messageOf(err)));
  });

  section.querySelector("form.finetune").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(ftError, "");
    ftResult.replaceChildren();
    if (digits.length < 2) {
      showError(ftError, "Label at least a few digits first (two or more of a digit lets one be held out).");
      return;
    }
    const n = Number(epochs.value);
    if (!Number.isInteger(n) || n < 1 || n > 50) {
      showError(ftError, "Epochs must be a whole number from 1 to 50.");
      epochs.focus();
      return;
    }
    let seedNumber;
    try {
      seedNumber = seedValue();
    } catch (err) {
      showError(ftError, err.message);
      seed.focus();
      return;
    }
    const list = digits.slice();
    ftButton.disabled = true;
    try {
      const info = await client.call("train_finetune", {
        ...packed(list), mnist_share: Number(mix.value) / 100, epochs: n, seed: seedNumber, holdout: 0.2,
      });
      // The Train view shows this run in its live charts (loss per batch, accuracy per epoch).
      events.dispatchEvent(new CustomEvent("training-started", { detail: { ...info, kind: "finetune" } }));
      heldOut = new Set(Array.from(info.held_out_index, (i) => list[i].id));
      tuning = { total: info.total_steps };
      ftStop.disabled = false;
      ftBar.max = info.total_steps;
      ftBar.value = 0;
      ftBar.hidden = false;
      const c = info.counts;
      tuning.what = `${plural(c.learn, "digit")} of yours and ${plural(c.mnist, "MNIST digit")}; ${c.held_out} of yours held out`;
      ftState.textContent = `Fine-tuning on ${tuning.what}…`;
      section.dataset.finetune = "running";
      renderGrid();
    } catch (err) {
      showError(ftError, `Could not start: ${messageOf(err)}`);
      ftButton.disabled = false;
    }
  });

  client.on("train", async (message) => {
    if (!tuning) return;
    if (message.kind && message.kind !== "finetune") {
      tuning = null; // a run from the Train view replaced ours
      ftButton.disabled = false;
      ftStop.disabled = true;
      ftState.textContent = "Fine-tuning ended: a training run from the Train view took over.";
      return;
    }
    const p = message.progress;
    if (p) {
      ftBar.value = p.step;
      const parts = [`Batch ${p.step} of ${p.total_steps}`, `epoch ${p.epoch}`];
      if (p.loss !== null && p.loss !== undefined) parts.push(`loss ${p.loss.toPrecision(3)}`);
      if (p.test_accuracy !== null && p.test_accuracy !== undefined) parts.push(`MNIST held-out ${percent(p.test_accuracy)}`);
      ftProgress.textContent = `${parts.join(" · ")}.`;
    }
    const state = message.error ? "error" : message.state;
    if (!["done", "stopped", "diverged", "error", "idle"].includes(state)) return;
    const what = tuning.what;
    tuning = null;
    ftButton.disabled = false;
    ftStop.disabled = true;
    section.dataset.finetune = state;
    if (state === "error" || state === "idle") {
      ftState.textContent = message.error ? `Fine-tuning stopped: ${message.error}` : "Fine-tuning ended: another model was loaded.";
      return;
    }
    try {
      const r = await client.call("finetune_result");
      ftState.textContent = state === "done" ? `Fine-tuned for ${r.step} batches on ${what}.` : `Fine-tuning ${state} after ${r.step} of ${r.total_steps} batches on ${what}.`;
      showResult(r);
      section.dataset.finetune = "reported";
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { training: false } }));
      measure();
    } catch (err) {
      ftState.textContent = `Could not report the result: ${messageOf(err)}`;
    }
  });

  function showResult({ before, after }) {
    const rows = [
      ["Your held-out digits (never trained on)", before.held_out, after.held_out, "held"],
      ["Your digits it trained on", before.learned, after.learned, "learned"],
      ["MNIST held-out digits", before.mnist, after.mnist, "mnist"],
    ];
    const table = el(
      "table",
      { class: "data" },
      el("caption", { text: "Accuracy before and after fine-tuning" }),
      el("thead", {}, el("tr", {}, ["", "Before", "After", "Change"].map((h, i) => el("th", { scope: "col", text: h || "Digits", class: i ? "num" : "" })))),
      el("tbody", {}, rows.map(([name, b, a, key]) =>
        el("tr", { "data-row": key, "data-before": b ?? "", "data-after": a ?? "" },
          el("th", { scope: "row", text: name }),
          el("td", { class: "num", text: b === null ? "none held out" : percent(b) }),
          el("td", { class: "num", text: a === null ? "–" : percent(a) }),
          el("td", { class: "num", text: points(b, a) })))),
    );
    const words = [];
    if (before.held_out === null) {
      words.push("No drawings were held out (a digit needs two or more samples), so this run cannot tell learning from memorising.");
    } else if (after.held_out > before.held_out) {
      words.push(`It generalised: it reads drawings of yours it never trained on better than before (${percent(before.held_out)} → ${percent(after.held_out)}).`);
    } else if (after.learned > before.learned) {
      words.push(`It memorised: the drawings it trained on are read better (${percent(before.learned)} → ${percent(after.learned)}), but your held-out ones are not. More samples of each digit usually help.`);
    } else {
      words.push("Nothing changed on your held-out drawings. Try more epochs, or a smaller MNIST share.");
    }
    if (after.mnist < before.mnist - 0.01) words.push(`It forgot some MNIST (${percent(before.mnist)} → ${percent(after.mnist)}): a larger MNIST share in the mix protects it.`);
    else words.push(`MNIST held-out accuracy stayed at ${percent(after.mnist)} (it was ${percent(before.mnist)}).`);
    ftResult.replaceChildren(el("div", { class: "table-wrap" }, table), el("p", { class: "verdict", text: words.join(" ") }));
  }

  // --- start -------------------------------------------------------------------------------------
  const loaded = allDigits()
    .then((list) => {
      digits = list;
      render();
    })
    .catch((err) => {
      render();
      showError(fileError, `Your collection could not be read from this browser's storage: ${messageOf(err)}`);
    });
  render();

  return {
    async show() {
      visible = true;
      await loaded;
      section.dataset.loaded = "true";
      measure();
    },
    hide() {
      visible = false;
    },
  };
}
