// The Train panel: settings (checked by pycore, errors shown beside their field), run controls,
// live loss and accuracy charts with text alternatives, and the divergence message.
//
// The worker trains in slices of about 60 ms and sends a "train" event after each; this panel
// only records numbers and redraws the charts at most five times a second.

import { byId, duration, el, messageOf, number, percent, showError, sizesText, throttle } from "./ui.js";

// Keys as pycore.train.Settings.from_dict reads them. "lesson" is the 784-10-10 lesson of
// pycore/lessons.py (He init, plain SGD, lr 0.1, every step on all 8,000 digits, 500 steps);
// "small" and "default" are pycore.train.RECIPES.
const BASE = {
  hidden: "10", activation: "relu", output: "softmax", loss: "cross_entropy", init: "he",
  optimizer: "sgd", lr: "0.1", batch_size: "32", epochs: "10", seed: "0", lr_decay: "1",
  lr_schedule: "exponential", augment: false,
};
export const PRESETS = {
  small: { ...BASE },
  lesson: { ...BASE, batch_size: "8000", epochs: "500" },
  default: {
    ...BASE, hidden: "1024, 256", optimizer: "adam", lr: "0.002", lr_schedule: "cosine",
    batch_size: "128", epochs: "40", augment: true,
  },
};
// Settings of a preset that the form does not show; sent while the form matches that preset.
const PRESET_EXTRAS = { default: { ema: 0.999, elastic: 3.5 } };
const FIELDS = Object.keys(BASE);
const CHART_MS = 200;
const SMOOTHING = 0.9;
const MAX_POINTS = 600;

export function mountTrain(ctx) {
  const { client, events } = ctx;
  const form = byId("train-form");
  const preset = byId("preset");
  const buttons = {
    start: byId("train-start"), pause: byId("train-pause"), resume: byId("train-resume"),
    step: byId("train-step"), stop: byId("train-stop"), reset: byId("train-reset"),
  };
  const stateText = byId("train-state");
  const bar = byId("train-progress");
  const stats = byId("train-stats");
  const divergedBox = byId("train-diverged");
  const formError = byId("train-form-error");

  const field = (name) => byId(`f-${name}`);

  // --- settings form ---------------------------------------------------------------------------
  function fill(values) {
    for (const name of FIELDS) {
      const input = field(name);
      if (input.type === "checkbox") input.checked = Boolean(values[name]);
      else input.value = values[name];
    }
    clearErrors();
  }

  function read() {
    const settings = {};
    for (const name of FIELDS) {
      const input = field(name);
      settings[name] = input.type === "checkbox" ? input.checked : input.value.trim();
    }
    return { ...settings, ...(PRESET_EXTRAS[preset.value] || {}) };
  }

  function clearErrors() {
    for (const name of FIELDS) {
      field(name).removeAttribute("aria-invalid");
      showError(byId(`e-${name}`), "");
    }
    showError(formError, "");
  }

  function showSettingsError(err) {
    const name = err.field;
    if (name && FIELDS.includes(name)) {
      const input = field(name);
      input.setAttribute("aria-invalid", "true");
      showError(byId(`e-${name}`), sentence(err.detail || err.message));
      input.focus();
    } else {
      showError(formError, messageOf(err));
    }
  }

  preset.addEventListener("change", () => {
    if (PRESETS[preset.value]) fill(PRESETS[preset.value]);
  });
  form.addEventListener("input", (event) => {
    if (event.target === preset) return;
    const name = event.target.name;
    if (name) {
      event.target.removeAttribute("aria-invalid");
      showError(byId(`e-${name}`), "");
    }
    const current = read();
    const match = Object.entries(PRESETS).find(([, values]) =>
      FIELDS.every((k) => String(values[k]) === String(current[k])),
    );
    preset.value = match ? match[0] : "custom";
  });
  fill(PRESETS.small);

  // --- run state ---------------------------------------------------------------------------------
  const run = {
    state: "idle", settings: null, totalSteps: 0, batchesPerEpoch: 1, step: 0, epoch: 0,
    losses: [], smooth: [], epochs: [], epochCorrect: 0, epochSeen: 0, speed: null,
    lastTest: null, sizes: null, kind: "train",
  };

  function resetRun(info) {
    Object.assign(run, {
      settings: info.settings, totalSteps: info.total_steps, batchesPerEpoch: info.batches_per_epoch,
      step: 0, epoch: 0, losses: [], smooth: [], epochs: [], epochCorrect: 0, epochSeen: 0,
      speed: null, lastTest: null, sizes: info.model.sizes, kind: "train",
    });
    bar.max = info.total_steps;
    bar.value = 0;
    showError(divergedBox, "");
    stats.textContent = "";
    // Empty charts only need a redraw when an earlier run left lines on them.
    drawn.loss = drawn.loss > 0 ? -1 : 0;
    drawn.epochs = drawn.epochs > 0 ? -1 : 0;
    redraw();
  }

  function setState(state) {
    run.state = state;
    const active = state === "running" || state === "paused";
    buttons.start.disabled = active;
    buttons.pause.disabled = state !== "running";
    buttons.resume.disabled = state !== "paused";
    buttons.stop.disabled = !active;
    for (const name of FIELDS) field(name).disabled = active;
    preset.disabled = active;
    const net = run.sizes ? ` (${sizesText(run.sizes)})` : "";
    const words = {
      idle: "No training run yet. The network in use is the pretrained one.",
      running: `Training${net}…`,
      paused: `Paused${net}. Resume, or step one batch at a time.`,
      done: `Finished${net}. Draw a digit to try the trained network.`,
      stopped: `Stopped${net}. The network keeps what it learned so far.`,
      diverged: `Training stopped: the loss is no longer a number${net}.`,
    };
    stateText.textContent = words[state] || state;
    form.dataset.state = state;
  }
  setState("idle");

  function record(p) {
    const losses = p.losses || [];
    const batch = run.settings ? run.settings.batch_size : 1;
    let s = run.smooth.length ? run.smooth[run.smooth.length - 1].y : null;
    const first = p.step - losses.length;
    for (let i = 0; i < losses.length; i++) {
      const y = losses[i];
      s = s === null ? y : SMOOTHING * s + (1 - SMOOTHING) * y;
      run.losses.push({ x: first + i + 1, y });
      run.smooth.push({ x: first + i + 1, y: s });
    }
    if (p.train_accuracy !== null && p.train_accuracy !== undefined) {
      const seen = losses.length * batch;
      run.epochCorrect += p.train_accuracy * seen;
      run.epochSeen += seen;
    }
    if (p.epoch > run.epoch) {
      run.epochs.push({
        epoch: p.epoch,
        train: run.epochSeen ? run.epochCorrect / run.epochSeen : null,
        test: p.test_accuracy ?? null,
      });
      run.epochCorrect = 0;
      run.epochSeen = 0;
    }
    run.step = p.step;
    run.epoch = p.epoch;
    run.lastTest = p.test_accuracy ?? run.lastTest;
    if (p.examples_per_second) {
      run.speed = run.speed ? 0.8 * run.speed + 0.2 * p.examples_per_second : p.examples_per_second;
    }
  }

  function describeProgress() {
    bar.value = run.step;
    const parts = [`Batch ${number(run.step)} of ${number(run.totalSteps)}`, `epoch ${number(run.epoch)} of ${number(run.settings?.epochs)}`];
    if (run.speed) {
      parts.push(`${number(run.speed)} examples/s`);
      const left = ((run.totalSteps - run.step) * run.settings.batch_size) / run.speed;
      if (run.state === "running") parts.push(`about ${duration(left)} left`);
    }
    if (run.lastTest !== null) parts.push(`held-out accuracy ${percent(run.lastTest)}`);
    stats.textContent = `${parts.join(" · ")}.`;
    stats.dataset.examplesPerSecond = run.speed ? run.speed.toFixed(0) : "";
  }

  // --- charts ------------------------------------------------------------------------------------
  const charts = makeChartHost();
  const lossSummary = byId("loss-summary");
  const accSummary = byId("acc-summary");
  const lossTable = byId("loss-table");
  const accTable = byId("acc-table");

  const trainView = byId("view-train");
  const drawn = { loss: -1, epochs: -1 };

  // At most MAX_POINTS per line: every k-th batch (the last one always), so an update stays cheap.
  function thin(points) {
    if (points.length <= MAX_POINTS) return points;
    const k = Math.ceil(points.length / MAX_POINTS);
    const out = points.filter((_, i) => i % k === 0);
    if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
    return out;
  }

  // Charts are redrawn only while the Train view is on screen; with a chart worker the main
  // thread only packs numbers into typed arrays.
  function redrawCharts() {
    if (!charts || trainView.hidden) return;
    if (drawn.loss !== run.losses.length) {
      const raw = thin(run.losses);
      const smooth = thin(run.smooth);
      charts.update("loss", {
        x: Float64Array.from(raw, (p) => p.x),
        series: [Float64Array.from(raw, (p) => p.y), Float64Array.from(smooth, (p) => p.y)],
        xMax: Math.max(run.totalSteps, 1),
      });
      drawn.loss = run.losses.length;
    }
    if (drawn.epochs !== run.epochs.length) {
      const nan = (v) => (v === null || v === undefined ? Number.NaN : v * 100);
      charts.update("acc", {
        x: Float64Array.from(run.epochs, (e) => e.epoch),
        series: [Float64Array.from(run.epochs, (e) => nan(e.train)), Float64Array.from(run.epochs, (e) => nan(e.test))],
        xMax: Math.max(Number(run.settings?.epochs) || 1, 1),
      });
      drawn.epochs = run.epochs.length;
    }
  }

  function redraw() {
    redrawCharts();
    const lastLoss = run.losses[run.losses.length - 1];
    lossSummary.textContent = lastLoss
      ? `Batch ${number(lastLoss.x)}: loss ${lastLoss.y.toPrecision(4)}, smoothed ${run.smooth[run.smooth.length - 1].y.toPrecision(4)}` +
        (run.losses.length > 1 ? `; first batch ${run.losses[0].y.toPrecision(4)}.` : ".")
      : "No data yet.";
    const lastEpoch = run.epochs[run.epochs.length - 1];
    accSummary.textContent = lastEpoch
      ? `Epoch ${lastEpoch.epoch}: ${percent(lastEpoch.train)} of training digits and ${percent(lastEpoch.test)} of held-out digits right.`
      : "No epoch finished yet.";
    lossSummary.dataset.loss = lastLoss ? String(lastLoss.y) : "";
    accSummary.dataset.test = lastEpoch && lastEpoch.test !== null ? String(lastEpoch.test) : "";
    if (!lossTable.hidden) renderLossTable();
    if (!accTable.hidden) renderAccTable();
  }
  const redrawSoon = throttle(redraw, CHART_MS);

  function sample(rows, count) {
    if (rows.length <= count) return rows;
    const picked = [];
    for (let i = 0; i < count; i++) picked.push(rows[Math.round((i * (rows.length - 1)) / (count - 1))]);
    return picked;
  }

  function table(caption, head, rows) {
    return el(
      "table",
      { class: "data" },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => (i === 0 ? el("th", { scope: "row", text: c }) : el("td", { text: c })))))),
    );
  }

  function renderLossTable() {
    const rows = sample(run.losses.map((p, i) => [p, run.smooth[i]]), 20);
    lossTable.replaceChildren(
      rows.length
        ? table("Loss at evenly spaced batches", ["Batch", "Loss", "Smoothed"], rows.map(([p, s]) => [number(p.x), p.y.toPrecision(4), s.y.toPrecision(4)]))
        : el("p", { text: "No data yet." }),
    );
  }

  function renderAccTable() {
    const rows = sample(run.epochs, 30);
    accTable.replaceChildren(
      rows.length
        ? table("Accuracy after each epoch", ["Epoch", "Training digits", "Held-out digits"], rows.map((e) => [String(e.epoch), percent(e.train), percent(e.test)]))
        : el("p", { text: "No epoch finished yet." }),
    );
  }

  for (const [toggle, box, render] of [
    [byId("loss-table-toggle"), lossTable, renderLossTable],
    [byId("acc-table-toggle"), accTable, renderAccTable],
  ]) {
    toggle.addEventListener("click", () => {
      const open = box.hidden;
      box.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide table" : "Show as table";
      if (open) render();
    });
  }

  // --- worker events -----------------------------------------------------------------------------
  const modelChanged = throttle(
    () => events.dispatchEvent(new CustomEvent("model-changed", { detail: { training: run.state === "running" } })),
    1000,
  );

  client.on("train", (message) => {
    if (message.kind && message.kind !== run.kind) {
      // A run of another kind (fine-tuning on my digits) replaced ours: ours has ended.
      if (run.state === "running" || run.state === "paused") setState("stopped");
      if (message.progress) modelChanged();
      return;
    }
    if (message.error) {
      showError(divergedBox, `Training stopped: ${message.error}`);
      setState("stopped");
      return;
    }
    const p = message.progress;
    if (p && run.settings) {
      record(p);
      describeProgress();
      redrawSoon();
      modelChanged();
      if (p.diverged) showError(divergedBox, p.message);
    }
    if (message.state !== run.state) {
      setState(message.state === "idle" && run.settings ? "stopped" : message.state);
      if (["done", "stopped", "diverged"].includes(message.state)) {
        describeProgress();
        redrawSoon();
        events.dispatchEvent(new CustomEvent("model-changed", { detail: { training: false } }));
      }
    }
  });

  async function start(paused = false) {
    clearErrors();
    const settings = read();
    try {
      const info = await client.call("train_start", { settings, paused });
      resetRun(info);
      setState(paused ? "paused" : "running");
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { training: true } }));
      return true;
    } catch (err) {
      showSettingsError(err);
      return false;
    }
  }

  async function control(method) {
    try {
      await client.call(method);
    } catch (err) {
      showError(formError, messageOf(err));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (run.state !== "running" && run.state !== "paused") start(false);
  });
  buttons.pause.addEventListener("click", () => control("train_pause"));
  buttons.resume.addEventListener("click", () => control("train_resume"));
  buttons.stop.addEventListener("click", () => control("train_stop"));
  buttons.step.addEventListener("click", async () => {
    if (run.state !== "running" && run.state !== "paused") {
      if (!(await start(true))) return;
    }
    await control("train_step");
  });
  buttons.reset.addEventListener("click", async () => {
    try {
      const info = await client.call("reset_model");
      run.sizes = null;
      setState("idle");
      stateText.textContent = `Back to the pretrained network (${sizesText(info.sizes)}).`;
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { model: info } }));
    } catch (err) {
      showError(formError, messageOf(err));
    }
  });

  // A worker restart ends any run.
  client.on("ready", () => {
    if (run.state === "running" || run.state === "paused") setState("stopped");
  });
  events.addEventListener("model-loaded", () => {
    if (run.state !== "idle") setState("idle");
  });
  // A run started elsewhere (the fine-tune in My digits) may show in the same charts: the other
  // panel dispatches "training-started" with the reply of its start call and its kind.
  events.addEventListener("training-started", (event) => {
    resetRun(event.detail);
    run.kind = event.detail.kind || "finetune";
    setState("running");
  });

  return {
    show() {
      redrawCharts();
    },
    hide() {},
    /** Settings the step-through uses: the learning rate and loss in the form. */
    getSettings() {
      const lr = Number.parseFloat(field("lr").value);
      return { lr: Number.isFinite(lr) && lr > 0 ? lr : 0.1, loss: field("loss").value };
    },
  };
}

function sentence(text) {
  const t = String(text || "").trim();
  return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
}

// --- charts ------------------------------------------------------------------------------------
// Chart.js draws both charts. Where the browser can hand a canvas to a worker (OffscreenCanvas),
// this same module runs as a small module worker that owns the two charts, so that the main
// thread spends no time on drawing them while training; elsewhere they are drawn on the page.

function chartConfig(kind, colours, extra = {}) {
  const axis = (title, more = {}) => ({
    type: "linear",
    title: { display: true, text: title, color: colours.text },
    grid: { color: colours.grid },
    ticks: { color: colours.text, maxTicksLimit: 6 },
    ...more,
  });
  const options = {
    animation: false,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    spanGaps: true,
    events: [],
    plugins: { legend: { display: false }, tooltip: { enabled: false } },
    ...extra,
  };
  if (kind === "loss") {
    return {
      type: "line",
      data: {
        datasets: [
          { label: "loss per batch", data: [], borderColor: colours.raw, borderWidth: 1, pointRadius: 0 },
          { label: "smoothed loss", data: [], borderColor: colours.main, borderWidth: 2.5, pointRadius: 0 },
        ],
      },
      options: { ...options, scales: { x: axis("batch", { min: 0 }), y: axis("loss", { beginAtZero: true }) } },
    };
  }
  return {
    type: "line",
    data: {
      datasets: [
        { label: "training digits", data: [], borderColor: colours.train, backgroundColor: colours.train, borderWidth: 2, pointRadius: 2, borderDash: [6, 3] },
        { label: "held-out digits", data: [], borderColor: colours.test, backgroundColor: colours.test, borderWidth: 2.5, pointRadius: 2 },
      ],
    },
    options: {
      ...options,
      scales: {
        x: axis("epoch", { min: 0, ticks: { color: colours.text, maxTicksLimit: 6, precision: 0 } }),
        y: axis("accuracy (%)", { suggestedMin: 80, max: 100 }),
      },
    },
  };
}

/** Put {x, series, xMax} (typed arrays; NaN = no value) into a Chart.js chart and draw it. */
function applyChart(chart, data) {
  data.series.forEach((ys, k) => {
    chart.data.datasets[k].data = Array.from(ys, (y, i) => ({ x: data.x[i], y: Number.isNaN(y) ? null : y }));
  });
  chart.options.scales.x.max = data.xMax;
  chart.update("none");
  return data.x.length;
}

function makeChartHost() {
  const canvases = { loss: byId("loss-chart"), acc: byId("acc-chart") };
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const colours = {
    grid: colour("--grid", "#e3e7ec"), text: colour("--muted", "#4a5565"), raw: colour("--chart-raw", "#9db3d9"),
    main: colour("--chart-main", "#1b4fb8"), train: colour("--chart-train", "#b45309"), test: colour("--chart-test", "#1b4fb8"),
  };
  const unavailable = () => {
    for (const canvas of Object.values(canvases)) {
      if (canvas.isConnected) {
        canvas.replaceWith(el("p", { class: "muted", text: "The chart could not be drawn here; the figures below still update." }));
      }
    }
  };
  const drawnAt = (kind, points) => {
    canvases[kind].dataset.points = String(points);
  };

  if (typeof canvases.loss.transferControlToOffscreen === "function" && typeof ResizeObserver === "function") {
    let worker;
    try {
      worker = new Worker(new URL(import.meta.url), { type: "module", name: CHART_WORKER });
      const offscreen = {};
      for (const [kind, canvas] of Object.entries(canvases)) {
        canvas.dataset.chart = kind;
        offscreen[kind] = canvas.transferControlToOffscreen();
      }
      worker.postMessage({ type: "init", colours, canvases: offscreen }, Object.values(offscreen));
    } catch (err) {
      console.warn("charts drawn on the page:", err);
      worker = null;
    }
    if (worker) {
      worker.onmessage = (event) => {
        if (event.data.type === "drawn") drawnAt(event.data.chart, event.data.points);
        else if (event.data.type === "failed") unavailable();
      };
      worker.onerror = (event) => {
        event.preventDefault();
        unavailable();
      };
      new ResizeObserver((entries) => {
        for (const entry of entries) {
          const { width, height } = entry.contentRect;
          if (width > 0 && height > 0) {
            worker.postMessage({ type: "resize", chart: entry.target.dataset.chart, width, height, dpr: devicePixelRatio || 1 });
          }
        }
      }).observe(canvases.loss);
      return {
        update(kind, data) {
          worker.postMessage({ type: "update", chart: kind, data });
        },
      };
    }
  }

  const Chart = globalThis.Chart;
  if (!Chart) {
    unavailable();
    return null;
  }
  const charts = {};
  for (const [kind, canvas] of Object.entries(canvases)) {
    charts[kind] = new Chart(canvas, chartConfig(kind, colours, { responsive: true }));
  }
  return {
    update(kind, data) {
      drawnAt(kind, applyChart(charts[kind], data));
    },
  };
}

const CHART_WORKER = "pycore-charts";

/** The chart worker: owns the two charts' OffscreenCanvases and redraws them on request. */
function runChartWorker() {
  const charts = {};
  const sizes = {};
  const queue = [];
  let ready = false;

  function handle(message) {
    if (message.type === "resize") {
      sizes[message.chart] = message;
      // The two charts share one layout, so one observer sizes both.
      for (const kind of Object.keys(charts)) {
        charts[kind].options.devicePixelRatio = message.dpr;
        charts[kind].resize(message.width, message.height);
      }
    } else if (message.type === "update" && charts[message.chart]) {
      const points = applyChart(charts[message.chart], message.data);
      self.postMessage({ type: "drawn", chart: message.chart, points });
    }
  }

  self.onmessage = async (event) => {
    const message = event.data;
    if (message.type !== "init") {
      if (ready) handle(message);
      else queue.push(message);
      return;
    }
    try {
      await import("../vendor/chart.umd.min.js");
      const Chart = globalThis.Chart;
      for (const [kind, canvas] of Object.entries(message.canvases)) {
        charts[kind] = new Chart(canvas, chartConfig(kind, message.colours, { responsive: false }));
      }
      ready = true;
      for (const queued of queue.splice(0)) handle(queued);
    } catch (err) {
      self.postMessage({ type: "failed", message: String(err) });
    }
  };
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope && self.name === CHART_WORKER) {
  runChartWorker();
}
