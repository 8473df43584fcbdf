// The Train panel: settings (built from pycore's catalogue, checked by pycore, errors shown beside
// their field), run controls, live loss and accuracy charts with text alternatives, and the
// divergence message. A fresh run that would replace a trained network (the pretrained one, one
// trained here, fine-tuned, uploaded or restored) asks first, in the page; a run that ends without
// learning says so, with pycore's likely cause and a one-click retry with its suggested fix.
//
// The settings live in the store (store.settings) and the form shows them; the run is the store's
// too, whichever panel started it (a fine-tune from My digits shows in the same charts). The worker
// trains in slices of about 60 ms; this panel records their numbers and redraws the charts at most
// five times a second.

import { newSeed } from "./persist.js";
import { makeChartHost } from "./train-charts.js";
import { statusKind } from "./status-helpers.js";
import {
  accRows, accSummaryText, confirmText, formSettings, lossRows, lossSummaryText, needsConfirm, newHistory, progressText,
  recordProgress, runCaption, runFormValues, runStateText, sentence, suggestionText, thin, trainingSettings,
} from "./train-helpers.js";
import { buildRunParts, buildSettingsForm, dataTable } from "./train-view.js";
import { el, messageOf, showError, sizesText, throttle } from "./ui.js";

const CHART_MS = 200;
const MAX_POINTS = 600;

export function mountTrain(section, ctx) {
  const { store } = ctx;
  const part = (id) => section.querySelector(`#${id}`);
  const form = part("train-form");
  const formError = part("train-form-error");
  const parts = buildRunParts(section);
  const settings = mountSettings(section, store, formError);
  const live = mountLive(section, store, parts);
  const confirm = mountConfirm(parts, part("train-start"));

  const buttons = {
    start: part("train-start"), pause: part("train-pause"), resume: part("train-resume"),
    step: part("train-step"), stop: part("train-stop"), reset: part("train-reset"),
  };

  function showState(run) {
    const active = store.active;
    buttons.start.disabled = active;
    buttons.pause.disabled = run.state !== "running";
    buttons.resume.disabled = run.state !== "paused";
    buttons.stop.disabled = !active;
    settings.setDisabled(active);
    form.dataset.state = run.state;
  }

  // Resolves true once a run started, false when the learner cancelled or pycore refused.
  async function start(paused = false, { asked = false } = {}) {
    settings.clearErrors();
    if (!asked && needsConfirm(store.model, store.run.state) && !(await confirm.ask(store.model))) return false;
    try {
      await store.startTraining(trainingSettings(store.info.catalog, store.settings), { paused });
      return true;
    } catch (err) {
      settings.showSettingsError(err);
      return false;
    }
  }

  const control = (action) => action().catch((err) => showError(formError, messageOf(err)));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!store.active && store.info) start(false);
  });
  buttons.pause.addEventListener("click", () => control(store.pause));
  buttons.resume.addEventListener("click", () => control(store.resume));
  buttons.stop.addEventListener("click", () => control(store.stop));
  buttons.step.addEventListener("click", async () => {
    if (!store.active && !(await start(true))) return;
    await control(store.step);
  });
  buttons.reset.addEventListener("click", () => control(store.resetModel));
  // The retry replaces only the network that did not learn: no question asked.
  parts.retry.addEventListener("click", () => {
    const suggestion = store.run.verdict?.suggestion;
    if (!suggestion || store.active) return;
    store.setSettings(runFormValues(store.info.catalog, suggestion), "retry");
    start(false, { asked: statusKind(store.model, store.run) === "did-not-learn" });
  });

  store.subscribe((event) => {
    if (event.type === "run") showState(event.run);
  });
  showState(store.run);

  return {
    show() {
      live.redrawCharts();
    },
    hide() {},
  };
}

/** The settings form: built from the catalogue, drawn from store.settings, edits go to the store. */
function mountSettings(section, store, formError) {
  const part = (id) => section.querySelector(`#${id}`);
  const grid = part("train-fields");
  const preset = part("preset");
  let fields = [];

  const input = (name) => part(`f-${name}`);

  function build(catalog) {
    buildSettingsForm(grid, preset, catalog);
    fields = formSettings(catalog).map((s) => s.name);
    part("new-seed")?.addEventListener("click", () => {
      if (!store.active) store.setSettings({ seed: String(newSeed()) }, "seed");
    });
    render(store.settings);
  }

  function render(values) {
    for (const name of fields) {
      const node = input(name);
      if (node.type === "checkbox") node.checked = Boolean(values[name]);
      else if (node.value !== String(values[name] ?? "")) node.value = values[name] ?? "";
    }
    preset.value = values.recipe;
  }

  function clearErrors() {
    for (const name of fields) clearError(name);
    showError(formError, "");
  }

  function clearError(name) {
    input(name)?.removeAttribute("aria-invalid");
    const box = part(`e-${name}`);
    if (box) showError(box, "");
  }

  function showSettingsError(err) {
    const name = err.field;
    if (name && fields.includes(name)) {
      input(name).setAttribute("aria-invalid", "true");
      showError(part(`e-${name}`), sentence(err.detail || err.message));
      input(name).focus();
    } else {
      showError(formError, messageOf(err));
    }
  }

  preset.addEventListener("change", () => {
    clearErrors();
    store.setSettings({ recipe: preset.value }, "recipe");
  });
  grid.addEventListener("input", (event) => {
    const target = event.target;
    if (!fields.includes(target.name)) return;
    clearError(target.name);
    store.setSettings({ [target.name]: target.type === "checkbox" ? target.checked : target.value }, "form");
  });

  store.subscribe((event) => {
    if (event.type === "ready" && !fields.length) build(event.info.catalog);
    else if (event.type === "settings" && fields.length) render(event.settings);
  });
  if (store.info) build(store.info.catalog);

  return {
    clearErrors,
    showSettingsError,
    setDisabled(disabled) {
      for (const name of fields) input(name).disabled = disabled;
      preset.disabled = disabled;
      const seed = part("new-seed");
      if (seed) seed.disabled = disabled;
    },
  };
}

/** Send the run's figures to the chart worker, only what changed since the last time (drawn). */
function drawCharts(charts, history, drawn, run) {
  // With a chart worker the main thread only packs numbers into typed arrays.
  if (drawn.loss !== history.losses.length) {
    const raw = thin(history.losses, MAX_POINTS);
    const smooth = thin(history.smooth, MAX_POINTS);
    charts.update("loss", {
      x: Float64Array.from(raw, (p) => p.x),
      series: [Float64Array.from(raw, (p) => p.y), Float64Array.from(smooth, (p) => p.y)],
      xMax: Math.max(run.totalSteps, 1),
    });
    drawn.loss = history.losses.length;
  }
  if (drawn.epochs !== history.epochs.length) {
    const nan = (v) => (v === null || v === undefined ? Number.NaN : v * 100);
    charts.update("acc", {
      x: Float64Array.from(history.epochs, (e) => e.epoch),
      series: [Float64Array.from(history.epochs, (e) => nan(e.train)), Float64Array.from(history.epochs, (e) => nan(e.test))],
      xMax: Math.max(Number(run.settings?.epochs) || 1, 1),
    });
    drawn.epochs = history.epochs.length;
  }
}

/** pycore's verdict on a finished run that did not learn (a NaN keeps its own message). */
function showVerdict(parts, run, catalog) {
  const v = run.verdict;
  const failed = v && v.learned === false && run.state !== "diverged";
  parts.verdict.hidden = !failed;
  if (!failed) return;
  parts.verdictText.textContent = v.message || `The run did not learn. ${v.reason}`;
  const retry = run.kind === "train" && v.suggestion && Object.keys(v.suggestion).length;
  parts.retry.hidden = !retry;
  if (retry) parts.retry.textContent = `Retry with ${suggestionText(catalog, v.suggestion)}`;
}

/** The run's live figures: state, progress, the two charts and their tables. */
function mountLive(section, store, parts) {
  const part = (id) => section.querySelector(`#${id}`);
  const stateText = part("train-state");
  const bar = part("train-progress");
  const stats = part("train-stats");
  const divergedBox = part("train-diverged");
  const lossSummary = part("loss-summary");
  const accSummary = part("acc-summary");
  const tables = mountTables(section, () => history);
  // The charts (and Chart.js, in their own worker) start when the Train view is first shown,
  // not during the page's start-up. undefined: not made yet; null: they cannot be drawn here.
  let charts;
  const drawn = { loss: -1, epochs: -1 };
  let history = newHistory();
  let runId = 0;
  let slices = 0; // training slices reported so far, a sequence number: #train-progress[data-slices]

  function startRun(run) {
    runId = run.id;
    history = newHistory();
    bar.max = run.totalSteps;
    bar.value = 0;
    showError(divergedBox, "");
    parts.verdict.hidden = true;
    parts.caption.textContent = runCaption(run, null, store.info?.catalog?.names);
    stats.textContent = "";
    // Empty charts only need a redraw when an earlier run left lines on them.
    drawn.loss = drawn.loss > 0 ? -1 : 0;
    drawn.epochs = drawn.epochs > 0 ? -1 : 0;
    redraw();
  }

  function describeProgress(run) {
    bar.value = run.step;
    stats.textContent = progressText(run, history);
    stats.dataset.examplesPerSecond = history.speed ? history.speed.toFixed(0) : "";
  }

  // Charts are redrawn only while the Train view is on screen.
  function redrawCharts() {
    if (section.hidden) return;
    if (charts === undefined) charts = makeChartHost({ loss: part("loss-chart"), acc: part("acc-chart") });
    if (charts) drawCharts(charts, history, drawn, store.run);
  }

  function redraw() {
    redrawCharts();
    lossSummary.textContent = lossSummaryText(history);
    accSummary.textContent = accSummaryText(history);
    const lastLoss = history.losses[history.losses.length - 1];
    const lastEpoch = history.epochs[history.epochs.length - 1];
    lossSummary.dataset.loss = lastLoss ? String(lastLoss.y) : "";
    accSummary.dataset.test = lastEpoch && lastEpoch.test !== null ? String(lastEpoch.test) : "";
    tables.render();
  }
  const redrawSoon = throttle(redraw, CHART_MS);

  function describeState(run) {
    stateText.textContent = runStateText(run.state, store.model?.sizes, { provenance: store.model?.provenance, verdict: run.verdict });
    form.dataset.verdict = run.verdict ? (run.verdict.learned ? "learned" : "did-not-learn") : "";
  }

  const form = section.querySelector("#train-form");
  store.subscribe((event) => {
    if (event.type === "run") {
      const run = event.run;
      if (run.id !== runId) startRun(run);
      describeState(run);
      if (run.error) showError(divergedBox, `Training stopped: ${run.error}`);
      if (["done", "stopped", "diverged"].includes(run.state)) {
        describeProgress(run);
        showVerdict(parts, run, store.info?.catalog);
        // A finished run shows its final figures with its verdict, not one chart interval later.
        redraw();
      }
    } else if (event.type === "progress") {
      const p = event.progress;
      slices += 1;
      bar.dataset.slices = String(slices);
      recordProgress(history, p, event.run.settings?.batch_size || 1, performance.now());
      describeProgress(event.run);
      redrawSoon();
      if (p.diverged) showError(divergedBox, p.message);
    } else if (event.type === "model" && event.reason === "reset") {
      stateText.textContent = `Back to the pretrained network (${sizesText(event.model.sizes)}).`;
    } else if (event.type === "model" && (event.reason === "run-start" || store.run.state === "idle")) {
      describeState(store.run);
      if (event.reason === "run-start") parts.caption.textContent = runCaption(store.run, event.model.sizes, store.info?.catalog?.names);
    }
  });
  parts.caption.textContent = runCaption(store.run, null);
  describeState(store.run);

  return { redrawCharts };
}

/** The in-page question before a run replaces the network in use: ask(model) resolves yes or no. */
function mountConfirm(parts, startButton) {
  let answer = null;

  function close(yes) {
    parts.confirm.hidden = true;
    const resolve = answer;
    answer = null;
    resolve?.(yes);
    if (!yes) startButton.focus();
  }

  parts.yes.addEventListener("click", () => close(true));
  parts.no.addEventListener("click", () => close(false));
  parts.confirm.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close(false);
  });

  return {
    ask(model) {
      answer?.(false);
      parts.confirmText.textContent = confirmText(model);
      parts.confirm.hidden = false;
      parts.yes.focus();
      return new Promise((resolve) => {
        answer = resolve;
      });
    },
  };
}

/** The "Show as table" buttons and the tables behind the two charts. */
function mountTables(section, getHistory) {
  const part = (id) => section.querySelector(`#${id}`);
  const lossTable = part("loss-table");
  const accTable = part("acc-table");

  function renderLoss() {
    const rows = lossRows(getHistory());
    lossTable.replaceChildren(
      rows.length ? dataTable("Loss at evenly spaced batches", ["Batch", "Loss", "Smoothed"], rows) : el("p", { text: "No data yet." }),
    );
  }

  function renderAcc() {
    const rows = accRows(getHistory());
    accTable.replaceChildren(
      rows.length ? dataTable("Accuracy after each epoch", ["Epoch", "Training digits", "Held-out digits"], rows) : el("p", { text: "No epoch finished yet." }),
    );
  }

  for (const [toggle, box, render] of [
    [part("loss-table-toggle"), lossTable, renderLoss],
    [part("acc-table-toggle"), accTable, renderAcc],
  ]) {
    toggle.addEventListener("click", () => {
      const open = box.hidden;
      box.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide table" : "Show as table";
      if (open) render();
    });
  }

  return {
    render() {
      if (!lossTable.hidden) renderLoss();
      if (!accTable.hidden) renderAcc();
    },
  };
}
