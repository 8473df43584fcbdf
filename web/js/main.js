// The page shell: starts the worker, shows loading and errors, and routes #/view URLs to panels.
//
// Routes: #/draw (landing), #/train, #/inspect, #/models, #/step/... (the step-through, loaded on
// first use). body[data-ready] is "false" while loading, "true" when the network can answer and
// "error" when loading failed or the worker died (with a message and a Retry button).

import { WorkerClient } from "./client.js";
import { mountDraw } from "./draw.js";
import { registerOffline } from "./offline.js";
import { byId, el, messageOf } from "./ui.js";

const VIEWS = ["draw", "train", "inspect", "models", "step", "mine", "check"];
const TITLE = "pycore";
const TITLES = { draw: "Draw a digit", train: "Train", inspect: "Inspect", models: "Models", step: "Step through", mine: "My digits", check: "Self-check" };

function startApp() {
  const client = new WorkerClient();
  const events = new EventTarget();
  const ctx = { client, events };
  const body = document.body;

  // --- loading, errors, retry ----------------------------------------------------------------
  const boot = byId("boot");
  const bootStage = byId("boot-stage");
  const bootBar = byId("boot-progress");
  const bootPercent = byId("boot-percent");
  const fatal = byId("fatal");
  const fatalMessage = byId("fatal-message");
  const retry = byId("retry");

  function loading() {
    body.dataset.ready = "false";
    boot.hidden = false;
    fatal.hidden = true;
    bootStage.textContent = "Starting the Python runtime…";
    bootBar.value = 0;
    bootPercent.textContent = "0%";
  }

  function failed(message) {
    body.dataset.ready = "error";
    boot.hidden = true;
    fatalMessage.textContent = message;
    fatal.hidden = false;
    retry.focus({ preventScroll: false });
  }

  client.on("progress", ({ stage, percent }) => {
    bootStage.textContent = `${stage}…`;
    bootBar.value = percent;
    bootPercent.textContent = `${percent}%`;
  });
  client.on("ready", (info) => {
    boot.hidden = true;
    fatal.hidden = true;
    body.dataset.ready = "true";
    // For benchmarks: when the page became ready, and how long each start-up stage took.
    body.dataset.readyMs = String(Math.round(performance.now()));
    body.dataset.timings = JSON.stringify(info.timings || {});
    const v = info.versions || {};
    const t = info.timings || {};
    byId("versions").textContent =
      `Python ${v.python} and NumPy ${v.numpy} run in your browser through Pyodide ${v.pyodide || ""}; nothing is sent to a server. ` +
      `Ready in ${((t.ready_ms || 0) / 1000).toFixed(1)} s.`;
    events.dispatchEvent(new CustomEvent("model-changed", { detail: { model: info.model } }));
  });
  client.on("fatal", ({ message }) => failed(message));
  client.on("crash", ({ message }) => failed(`${message} Your drawing is kept; press Retry to start the worker again.`));
  retry.addEventListener("click", () => {
    loading();
    client.restart();
  });

  // --- panels ----------------------------------------------------------------------------------
  const draw = mountDraw(ctx);
  const panels = { draw: { show() {}, hide() {} } };
  let train = null;
  const lazy = {
    train: async () => {
      const { mountTrain } = await import("./train.js");
      train = mountTrain(ctx);
      return train;
    },
    inspect: async () => (await import("./inspect.js")).mountInspect(ctx),
    models: async () => (await import("./models.js")).mountModels(ctx),
    step: async () => mountStepView(),
    mine: async () => (await import("./collection.js")).mountCollection(byId("view-mine"), ctx),
    check: async () => (await import("./selfcheck.js")).mountSelfCheck(byId("view-check"), ctx),
  };

  // The train form mounts early (it is small) so that getSettings works before its first visit.
  const trainReady = lazy.train();
  panels.train = trainReady;
  // The saved model and settings come back once the train form exists (see persist.js).
  trainReady
    .then(() => import("./persist.js"))
    .then((persist) => persist.mountPersist(ctx))
    .catch((err) => console.warn("Saving in this browser is not available:", messageOf(err)));

  async function mountStepView() {
    const section = byId("view-step");
    let mod;
    try {
      mod = await import("./step.js");
    } catch (err) {
      console.warn(err);
      section.replaceChildren(
        el("h1", { text: "Step through" }),
        el("p", { class: "notice", text: "The step-through view is not available in this build." }),
      );
      return { show() {}, hide() {} };
    }
    await trainReady;
    const view = mod.mountStep(section, {
      client,
      getDrawing: () => draw.getDrawing(),
      getSettings: () => (train ? train.getSettings() : { lr: 0.1, loss: "cross_entropy" }),
      navigate,
    });
    return { show: (args) => view.show(args), hide() {} };
  }

  async function panel(name) {
    if (!panels[name]) panels[name] = lazy[name]();
    return panels[name];
  }

  // --- routing ---------------------------------------------------------------------------------
  let current = null;

  function parse(hash) {
    const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
    const view = VIEWS.includes(parts[0]) ? parts[0] : "draw";
    return { view, args: view === parts[0] ? parts.slice(1) : [] };
  }

  async function route() {
    const hash = location.hash;
    if (hash && !hash.startsWith("#/")) return; // an in-page anchor such as the skip link
    const { view, args } = parse(hash);
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const lessonHref = view === "step" ? `#/step/${args.join("/")}` : null;
    for (const link of document.querySelectorAll(".lessons a")) {
      if (link.getAttribute("href") === lessonHref) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.title = `${TITLES[view]} · ${TITLE}`;
    const previous = current;
    current = view;
    if (previous && previous !== view) (await panel(previous)).hide?.();
    try {
      const p = await panel(view);
      if (current === view) p.show?.(args);
    } catch (err) {
      byId(`view-${view}`).prepend(el("p", { class: "error", role: "alert", text: `This view could not be opened: ${messageOf(err)}` }));
    }
    if (previous && previous !== view) {
      byId("main").focus({ preventScroll: true });
      window.scrollTo({ top: 0 });
    }
  }

  function navigate(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  window.addEventListener("hashchange", route);
  document.querySelector("[data-skip]").addEventListener("click", (event) => {
    event.preventDefault();
    byId("main").focus();
  });
  route();
}

startApp();
registerOffline();
