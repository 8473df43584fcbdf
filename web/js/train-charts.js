// The Train panel's two charts (loss per batch, accuracy per epoch), drawn by Chart.js.
//
// Where the browser can hand a canvas to a worker (OffscreenCanvas),
// this same module runs as a small module worker that owns the two charts, so that the main
// thread spends no time on drawing them while training; elsewhere they are drawn on the page.

import { el } from "./ui.js";

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

/**
 * The charts of two canvases {loss, acc}: returns {update(kind, {x, series, xMax})}, or null when
 * they cannot be drawn (each canvas then says so). Canvases get data-points: the points drawn.
 */
export function makeChartHost(canvases) {
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

  // No OffscreenCanvas: Chart.js on the page, loaded now; updates wait for it (only the latest
  // of each chart matters).
  let charts = null;
  const waiting = {};
  import("../vendor/chart.umd.min.js")
    .then(() => {
      const Chart = globalThis.Chart;
      charts = {};
      for (const [kind, canvas] of Object.entries(canvases)) {
        charts[kind] = new Chart(canvas, chartConfig(kind, colours, { responsive: true }));
      }
      for (const [kind, data] of Object.entries(waiting)) drawnAt(kind, applyChart(charts[kind], data));
    })
    .catch((err) => {
      console.warn("charts unavailable:", err);
      unavailable();
    });
  return {
    update(kind, data) {
      if (charts) drawnAt(kind, applyChart(charts[kind], data));
      else waiting[kind] = data;
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
