// The page shell: starts the worker and the store, shows loading and errors, and routes #/view
// URLs to panels.
//
// Routes: #/draw (landing), #/train, #/inspect, #/models, #/step/... (the step-through), #/mine,
// #/check; every panel but Draw and Train is loaded on first use. body[data-ready] is "false"
// while loading, "true" when the network can answer and "error" when loading failed or the worker
// died (with a message and a Retry button).
//
// How a panel gets its DOM, one convention for all of them:
//   mountX(section, ctx) -> {show(args), hide()}
// `section` is the panel's <section id="view-X">; the panel finds (section.querySelector) or
// builds everything it shows inside it and touches nothing outside it. ctx is the same object for
// every panel:
//   ctx = {client, store, navigate, draw}
//   client    the worker client (client.js): read-only calls such as predict, evaluate, trace_*
//   store     the page's state (store.js): info and its catalogue, the model, the run, the Train
//             settings; every training and model call; subscribe() for its events
//   navigate  navigate("#/step/digit/3") goes to a view
//   draw      the Draw panel; draw.getDrawing() is the current drawing ({pixels, width, height}) or null
// A panel is written as a view builder (DOM), pure helpers (tested with node --test) and thin
// wiring between the store's events, the client and the view.

import { readySentence } from "./boot-helpers.js";
import { makeBootBar } from "./boot-view.js";
import { WorkerClient } from "./client.js";
import { mountDraw } from "./draw.js";
import { registerOffline } from "./offline.js";
import { mountStatus } from "./status.js";
import { createStore } from "./store.js";
import { byId, el, messageOf } from "./ui.js";

const VIEWS = ["draw", "train", "inspect", "models", "step", "mine", "check"];
const TITLE = "pycore";
const TITLES = { draw: "Draw a digit", train: "Train", inspect: "Inspect", models: "Models", step: "Step through", mine: "My digits", check: "Self-check" };

// Modules of the panels loaded on first use, and the name of their mount function.
const LAZY = {
  train: () => import("./train.js").then((m) => m.mountTrain),
  inspect: () => import("./inspect.js").then((m) => m.mountInspect),
  models: () => import("./models.js").then((m) => m.mountModels),
  step: () => import("./step.js").then((m) => m.mountStep),
  mine: () => import("./collection.js").then((m) => m.mountCollection),
  check: () => import("./selfcheck.js").then((m) => m.mountSelfCheck),
};

function startApp() {
  const client = new WorkerClient();
  const store = createStore(client);
  const ctx = { client, store, navigate, draw: null };
  showLoading(client, store);
  // The worker holds its background work for the next visit while the visitor is busy.
  for (const type of ["pointerdown", "keydown", "wheel"]) {
    document.addEventListener(type, () => client.activity(), { capture: true, passive: true });
  }
  mountStatus(byId("net-status"), store);
  ctx.draw = mountDraw(byId("view-draw"), ctx);
  store.subscribe((event) => {
    if (event.type === "ready") renderLessons(event.info.catalog?.lessons);
  });

  const panels = { draw: Promise.resolve(ctx.draw) };
  function panel(name) {
    if (!panels[name]) {
      panels[name] = LAZY[name]().then((mount) => mount(byId(`view-${name}`), ctx), (err) => unavailable(name, err));
    }
    return panels[name];
  }

  // The Train panel mounts at once so that it follows every run (a fine-tune started in My
  // digits shows in its charts); the saved model and settings come back through the store.
  panel("train");
  import("./persist.js")
    .then((persist) => persist.mountPersist(ctx))
    .catch((err) => console.warn("Saving in this browser is not available:", messageOf(err)));

  const route = makeRouter(panel);
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

// A panel whose module cannot be loaded says so in its section.
function unavailable(name, err) {
  console.warn(err);
  byId(`view-${name}`).replaceChildren(
    el("h1", { text: TITLES[name] }),
    el("p", { class: "notice", text: "This view is not available in this build." }),
  );
  return { show() {}, hide() {} };
}

/** The loading bar, the fatal error box with Retry, and body[data-ready]. */
function showLoading(client, store) {
  const body = document.body;
  const boot = byId("boot");
  const bar = makeBootBar({ label: byId("boot-stage"), bar: byId("boot-progress"), time: byId("boot-percent") });
  const fatal = byId("fatal");
  const retry = byId("retry");

  function failed(message) {
    body.dataset.ready = "error";
    boot.hidden = true;
    byId("fatal-message").textContent = message;
    fatal.hidden = false;
    retry.focus({ preventScroll: false });
  }

  client.on("progress", ({ stage }) => bar.stage(stage));
  // The digits arrive after "ready" (worker.js); the held-out accuracy is measured with them.
  client.on("data", (message) => {
    body.dataset.timings = JSON.stringify(message.timings || {});
    body.dataset.digits = message.ok ? "ready" : "error";
    const measured = message.result?.model?.test_accuracy;
    if (message.ok && typeof measured === "number" && !store.active) store.measured?.(measured);
  });
  store.subscribe((event) => {
    if (event.type !== "ready") return;
    const info = event.info;
    boot.hidden = true;
    fatal.hidden = true;
    body.dataset.ready = "true";
    // For benchmarks: when the page became ready, and how long each start-up stage took.
    body.dataset.readyMs = String(Math.round(performance.now()));
    body.dataset.timings = JSON.stringify(info.timings || {});
    const v = info.versions || {};
    const t = info.timings || {};
    bar.done(t);
    byId("versions").textContent =
      `Python ${v.python} and NumPy ${v.numpy} run in your browser through Pyodide ${v.pyodide || ""}; nothing is sent to a server. ` +
      readySentence(performance.now(), t.snapshot);
  });
  client.on("fatal", ({ message }) => failed(message));
  client.on("crash", ({ message }) => failed(`${message} Your drawing is kept; press Retry to start the worker again.`));
  retry.addEventListener("click", () => {
    body.dataset.ready = "false";
    boot.hidden = false;
    fatal.hidden = true;
    bar.reset();
    client.restart();
  });
}

/** The Lessons list beside every view, from pycore's lesson catalogue. */
function renderLessons(lessons) {
  if (!lessons) return;
  const list = document.querySelector(".lessons ol");
  list.replaceChildren(
    ...lessons.map((lesson) =>
      el("li", {}, el("a", { "data-testid": `lesson-${lesson.name}`, href: `#/step/lesson/${lesson.name}` },
        el("span", { class: "lesson-title", text: lesson.title }), " ", el("span", { class: "lesson-summary", text: lesson.summary }))),
    ),
  );
  markCurrentLesson();
}

function markCurrentLesson() {
  const href = location.hash.startsWith("#/step/") ? location.hash : null;
  for (const link of document.querySelectorAll(".lessons a")) {
    if (link.getAttribute("href") === href) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function parse(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const view = VIEWS.includes(parts[0]) ? parts[0] : "draw";
  return { view, args: view === parts[0] ? parts.slice(1) : [] };
}

/** route(): show the view the URL names (hiding the previous one) and mark its tab. */
function makeRouter(panel) {
  let current = null;
  return async function route() {
    const hash = location.hash;
    if (hash && !hash.startsWith("#/")) return; // an in-page anchor such as the skip link
    const { view, args } = parse(hash);
    for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    markCurrentLesson();
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
  };
}

startApp();
registerOffline();
