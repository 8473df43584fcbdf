// The step-through view: one training step (forward, loss, backward, update) cut into steps, each
// with its real numbers, its equation and the lines of pycore that computed it.
//
// main.js calls mountStep(section, ctx) once and then show(args) for every #/step/... URL:
//   []                                   a picker
//   ["lesson", NAME, SAMPLE?]            a lesson's tiny network (SAMPLE: the person of weight-height,
//                                        the held-out digit of mnist-784-10-10)
//   ["digit", INDEX | "random"]          a held-out digit through (a copy of) the current model
//   ["drawing"]                          the drawing of the Draw view
// followed by an optional "step", N (1-based) that opens step N. The view keeps the URL in step
// with what it shows (history.replaceState, so stepping adds no history entries).

import { el, messageOf } from "./ui.js";
import { full, loadKatex, shapeText, short, tensorName, typeset, rows } from "./step-format.js";
import { isTiny, knownAt, numericEquation, renderDiagram } from "./step-tiny.js";
import { renderMnist } from "./step-mnist.js";

const LESSONS = [
  ["neuron", "A single neuron"],
  ["network", "A 2-2-1 network"],
  ["mse", "Mean squared error"],
  ["weight-height", "Backprop and SGD (weight and height)"],
  ["mnist-784-10-10", "Digits: the 784-10-10 lesson network"],
];
const PEOPLE = ["Alice", "Bob", "Charlie", "Diana"];
const SPEEDS = [["2500", "Slow"], ["1200", "Normal"], ["500", "Fast"]];
const PHASES = { forward: "Forward", loss: "Loss", backward: "Backward", update: "Update", after: "After" };
const LOSS_NAMES = { cross_entropy: "cross-entropy", mse: "mean squared error" };

/** Parse the URL segments after "step" into a source and a 0-based step (or null). */
export function parseArgs(args) {
  const parts = [...args];
  let step = null;
  const at = parts.indexOf("step");
  if (at >= 0) {
    const n = Number.parseInt(parts[at + 1], 10);
    if (Number.isFinite(n)) step = Math.max(0, n - 1);
    parts.splice(at, 2);
  }
  const [kind, a, b] = parts;
  if (kind === "lesson" && LESSONS.some(([n]) => n === a)) {
    const sample = Number.parseInt(b, 10);
    return { source: { kind: "lesson", name: a, sample: Number.isFinite(sample) && sample >= 0 ? sample : 0 }, step };
  }
  if (kind === "digit") {
    if (a === "random") return { source: { kind: "digit", index: "random" }, step };
    const index = Number.parseInt(a, 10);
    return { source: { kind: "digit", index: Number.isFinite(index) && index >= 0 ? index : 0 }, step };
  }
  if (kind === "drawing") return { source: { kind: "drawing" }, step };
  return { source: null, step };
}

function sourceSegments(source) {
  if (source.kind === "lesson") {
    const withSample = source.name === "weight-height" || source.name === "mnist-784-10-10";
    return ["lesson", source.name, ...(withSample ? [String(source.sample)] : [])];
  }
  if (source.kind === "digit") return ["digit", String(source.index)];
  return ["drawing"];
}

function isField(target) {
  return target instanceof Element && target.closest("input, select, textarea, [contenteditable=''], [contenteditable='true']");
}

export function mountStep(section, ctx) {
  const settings = () => {
    try {
      return ctx.getSettings() || {};
    } catch {
      return {};
    }
  };
  const state = {
    source: null,
    trace: null,
    key: null,
    step: 0,
    lr: Number(settings().lr) > 0 ? Number(settings().lr) : 0.1,
    lrEdited: false,
    loss: settings().loss || "cross_entropy",
    label: "",
    playing: false,
    timer: null,
    request: 0,
  };
  const reduceMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)");

  // --- the form: what to step through ----------------------------------------------------------
  const sourceSelect = el(
    "select",
    { id: "step-source" },
    el("optgroup", { label: "Lessons" }, ...LESSONS.map(([n, t]) => el("option", { value: `lesson:${n}`, text: t }))),
    el(
      "optgroup",
      { label: "The current model" },
      el("option", { value: "digit", text: "A held-out digit" }),
      el("option", { value: "drawing", text: "Your drawing" }),
    ),
  );
  const personSelect = el("select", { id: "step-person" }, ...PEOPLE.map((p, i) => el("option", { value: String(i), text: p })));
  const indexInput = el("input", { id: "step-index", type: "text", inputmode: "numeric", autocomplete: "off", value: "0", "aria-describedby": "step-index-hint" });
  const randomButton = el("button", { type: "button", class: "button small subtle", text: "Random digit", "data-testid": "step-random" });
  const labelSelect = el(
    "select",
    { id: "step-label" },
    el("option", { value: "", text: "The network's prediction" }),
    ...Array.from({ length: 10 }, (_, d) => el("option", { value: String(d), text: String(d) })),
  );
  const lrInput = el("input", { id: "step-lr", type: "text", inputmode: "decimal", autocomplete: "off", value: String(state.lr), "aria-describedby": "step-lr-hint step-lr-error", "data-testid": "step-lr" });
  const lrError = el("p", { class: "error", id: "step-lr-error", hidden: true });
  const lossSelect = el(
    "select",
    { id: "step-loss", "aria-describedby": "step-loss-hint" },
    el("option", { value: "cross_entropy", text: "Cross-entropy" }),
    el("option", { value: "mse", text: "Mean squared error" }),
  );
  const field = (id, labelText, control, ...extra) =>
    el("div", { class: "field", "data-field": id }, el("label", { for: control.id, text: labelText }), control, ...extra);
  const personField = field("person", "Person", personSelect);
  const indexField = field(
    "index",
    "Digit number",
    indexInput,
    el("p", { class: "hint", id: "step-index-hint", text: "0 to 1999, one of the held-out test digits" }),
    randomButton,
  );
  const labelField = field("label", "Label to learn", labelSelect);
  const lossField = field("loss", "Loss", lossSelect, el("p", { class: "hint", id: "step-loss-hint", text: "For digits; each lesson has its own loss." }));
  const form = el(
    "form",
    { class: "card step-form", novalidate: true, "aria-labelledby": "step-form-title" },
    el("h2", { id: "step-form-title", text: "What to step through" }),
    el(
      "div",
      { class: "field-grid" },
      field("source", "Sample", sourceSelect),
      personField,
      indexField,
      labelField,
      field("lr", "Learning rate η", lrInput, el("p", { class: "hint", id: "step-lr-hint", text: "One plain SGD step: W ← W − η·dL/dW" }), lrError),
      lossField,
    ),
    el("div", { class: "controls" }, el("button", { type: "submit", class: "button primary", text: "Show this step", "data-testid": "step-apply" })),
  );
  lossSelect.value = state.loss;

  // --- the player ------------------------------------------------------------------------------
  const btn = (testid, text, label) => el("button", { type: "button", class: "button small", "data-testid": testid, "aria-label": label, title: label, text });
  const first = btn("step-first", "« First", "First step");
  const prev = btn("step-prev", "◀ Previous", "Previous step");
  const play = btn("step-play", "▶ Play", "Play the steps");
  const next = btn("step-next", "Next ▶", "Next step");
  const last = btn("step-last", "Last »", "Last step");
  const speed = el("select", { id: "step-speed" }, ...SPEEDS.map(([v, t]) => el("option", { value: v, text: t })));
  speed.value = "1200";
  const counter = el("span", { class: "step-counter", "data-testid": "step-counter" });
  const player = el(
    "div",
    { class: "step-player", role: "group", "aria-label": "Step controls" },
    first, prev, play, next, last,
    el("span", { class: "field inline" }, el("label", { for: "step-speed", text: "Speed" }), speed),
    counter,
  );
  const timeline = el("ol", { class: "step-timeline", "aria-label": "All steps" });

  // --- the current step -------------------------------------------------------------------------
  const phase = el("span", { class: "step-phase" });
  const title = el("h2", { class: "step-title", id: "step-title" });
  const about = el("p", { class: "step-about muted" });
  const words = el("p", { class: "step-words" });
  const equation = el("div", { class: "step-equation", role: "group", "aria-label": "Equation" });
  const numeric = el("div", { class: "step-equation numeric" });
  const numericWrap = el("div", { class: "step-numeric" }, el("h3", { text: "With the numbers" }), numeric);
  const visual = el("div", { class: "step-visual" });
  const numbers = el("dl", { class: "step-numbers" });
  const code = el("div", { class: "step-source", "data-testid": "step-source" });
  const view = el(
    "div",
    { class: "step-view", "data-testid": "step-view", tabindex: "0", "aria-labelledby": "step-title", "aria-describedby": "step-keys" },
    el("header", { class: "step-head" }, phase, title, about),
    words,
    visual,
    el(
      "div",
      { class: "step-body" },
      el("div", { class: "step-left" }, el("h3", { text: "The equation" }), equation, numericWrap, el("h3", { text: "The numbers" }), numbers),
      el("div", { class: "step-right" }, el("h3", { text: "The code that computed it" }), code),
    ),
  );
  const keysHelp = el(
    "p",
    { class: "help", id: "step-keys" },
    "Keyboard: with the step view focused, ", el("kbd", { text: "→" }), " next, ", el("kbd", { text: "←" }), " previous, ",
    el("kbd", { text: "Home" }), " first, ", el("kbd", { text: "End" }), " last, ", el("kbd", { text: "Space" }), " play or pause.",
  );
  const status = el("p", { class: "step-status muted", role: "status" });
  const error = el("div", { class: "alert", role: "alert", hidden: true });
  const live = el("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", "data-testid": "step-announce" });
  const stage = el("div", { class: "card step-stage", hidden: true }, player, timeline, keysHelp, view);
  const picker = el(
    "div",
    { class: "card step-picker" },
    el("h2", { text: "Choose something to step through" }),
    el(
      "ul",
      {},
      ...LESSONS.map(([n, t]) => el("li", {}, el("a", { href: `#/step/lesson/${n}`, text: t }))),
      el("li", {}, el("a", { href: "#/step/digit/random", text: "A random held-out digit through the current model" })),
      el("li", {}, el("a", { href: "#/step/drawing", text: "Your drawing through the current model" })),
    ),
  );
  section.replaceChildren(
    el("h1", { text: "Step through one training step" }),
    el("p", { class: "lede", text: "Forward pass, loss, backward pass and update, one operation at a time, with the real numbers and the lines of Python that computed them." }),
    form,
    error,
    status,
    picker,
    stage,
    live,
  );
  section.classList.add("step-section");

  // --- behaviour -------------------------------------------------------------------------------
  function syncFields() {
    const value = sourceSelect.value;
    const lesson = value.startsWith("lesson:") ? value.slice(7) : null;
    personField.hidden = lesson !== "weight-height";
    indexField.hidden = !(value === "digit" || lesson === "mnist-784-10-10");
    labelField.hidden = value !== "drawing";
    lossSelect.disabled = Boolean(lesson);
  }
  sourceSelect.addEventListener("change", syncFields);

  function formSource() {
    const value = sourceSelect.value;
    if (value.startsWith("lesson:")) {
      const name = value.slice(7);
      const sample = name === "weight-height" ? Number(personSelect.value) : name === "mnist-784-10-10" ? readIndex() : 0;
      return sample === null ? null : { kind: "lesson", name, sample };
    }
    if (value === "digit") {
      const index = readIndex();
      return index === null ? null : { kind: "digit", index };
    }
    return { kind: "drawing" };
  }

  function readIndex() {
    const n = Number(indexInput.value.trim());
    if (!Number.isInteger(n) || n < 0) {
      showError("The digit number must be a whole number from 0 to 1999.");
      indexInput.setAttribute("aria-invalid", "true");
      indexInput.focus();
      return null;
    }
    indexInput.removeAttribute("aria-invalid");
    return n;
  }

  function readLr() {
    const text = lrInput.value.trim();
    const lr = Number(text);
    if (!text || !Number.isFinite(lr) || lr <= 0 || lr > 100) {
      lrError.textContent = "The learning rate must be a positive number, such as 0.1.";
      lrError.hidden = false;
      lrInput.setAttribute("aria-invalid", "true");
      lrInput.focus();
      return null;
    }
    lrError.hidden = true;
    lrInput.removeAttribute("aria-invalid");
    return lr;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const lr = readLr();
    if (lr === null) return;
    const source = formSource();
    if (!source) return;
    if (lr !== state.lr) state.lrEdited = true;
    state.lr = lr;
    state.loss = lossSelect.value;
    state.label = labelSelect.value;
    open(source, 0);
  });
  randomButton.addEventListener("click", () => {
    indexInput.value = String(randomIndex());
    indexInput.removeAttribute("aria-invalid");
  });

  function randomIndex() {
    const count = ctx.client?.info?.data?.test || 2000;
    return Math.floor(Math.random() * count);
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function fillForm(source) {
    if (source.kind === "lesson") {
      sourceSelect.value = `lesson:${source.name}`;
      if (source.name === "weight-height") personSelect.value = String(source.sample % PEOPLE.length);
      if (source.name === "mnist-784-10-10") indexInput.value = String(source.sample);
    } else {
      sourceSelect.value = source.kind;
      if (source.kind === "digit") indexInput.value = String(source.index);
    }
    lrInput.value = String(state.lr);
    lossSelect.value = state.loss;
    syncFields();
  }

  async function open(source, step) {
    pause();
    if (source.kind === "digit" && source.index === "random") source = { kind: "digit", index: randomIndex() };
    fillForm(source);
    const drawing = source.kind === "drawing" ? ctx.getDrawing?.() : null;
    if (source.kind === "drawing" && !drawing) {
      showError("");
      state.source = source;
      status.replaceChildren("There is no drawing yet. ", el("a", { href: "#/draw", text: "Draw a digit" }), " first, then come back here.");
      return;
    }
    const key = JSON.stringify([source, state.lr, state.loss, source.kind === "drawing" ? state.label : null]);
    if (key === state.key && state.trace && source.kind !== "drawing") {
      go(step ?? state.step);
      return;
    }
    const id = ++state.request;
    showError("");
    status.textContent = "Running one training step in Python…";
    section.setAttribute("aria-busy", "true");
    try {
      const [trace] = await Promise.all([call(source, drawing), loadKatex().catch(() => null)]);
      if (id !== state.request) return;
      state.source = source;
      state.trace = trace;
      state.key = key;
      status.textContent = `${trace.sample} · network ${trace.sizes.join("-")} (${trace.activations.join(", ")}) · loss: ${LOSS_NAMES[trace.loss_name] || trace.loss_name} · η = ${trace.lr} · ${trace.dtype}`;
      picker.hidden = true;
      stage.hidden = false;
      renderTimeline();
      go(Math.min(step ?? 0, trace.steps.length - 1));
    } catch (err) {
      if (id !== state.request) return;
      showError(`Could not step through this: ${messageOf(err)}`);
      status.textContent = "";
    } finally {
      if (id === state.request) section.removeAttribute("aria-busy");
    }
  }

  function call(source, drawing) {
    const { client } = ctx;
    if (source.kind === "lesson") return client.call("trace_lesson", { name: source.name, sample: source.sample, lr: state.lr });
    const params = { lr: state.lr, loss: state.loss };
    if (source.kind === "digit") return client.call("trace_digit", { ...params, index: source.index });
    const kwargs = { ...params, pixels: drawing.pixels, width: drawing.width, height: drawing.height };
    if (state.label !== "") kwargs.label = Number(state.label);
    return client.call("trace_digit", kwargs);
  }

  function renderTimeline() {
    const { steps } = state.trace;
    timeline.replaceChildren(
      ...steps.map((s, n) =>
        el(
          "li",
          { class: `phase-${s.phase}` },
          el("button", { type: "button", class: "step-dot", "data-index": String(n), onclick: () => { pause(); go(n); } },
            el("span", { class: "visually-hidden", text: `Step ${n + 1}: ` }), el("span", { "aria-hidden": "true", text: String(n + 1) }),
            el("span", { class: "visually-hidden", text: ` ${s.title}` })),
        ),
      ),
    );
  }

  function go(n) {
    const trace = state.trace;
    if (!trace) return;
    const count = trace.steps.length;
    state.step = Math.max(0, Math.min(count - 1, n));
    render();
    const hash = `#/step/${[...sourceSegments(state.source), "step", String(state.step + 1)].map(encodeURIComponent).join("/")}`;
    if (location.hash !== hash) history.replaceState(history.state, "", hash);
  }

  function render() {
    const trace = state.trace;
    const s = state.step;
    const step = trace.steps[s];
    const count = trace.steps.length;
    const at = knownAt(trace);
    const known = (key) => key in at && at[key] <= s;
    phase.textContent = PHASES[step.phase] || step.phase;
    phase.className = `step-phase phase-${step.phase}`;
    title.textContent = `Step ${s + 1} of ${count}: ${step.title}`;
    about.textContent = trace.sample;
    counter.textContent = `Step ${s + 1} of ${count}`;
    words.textContent = step.explain;
    typeset(equation, step.equation);
    const tiny = isTiny(trace);
    const eq = tiny ? numericEquation(trace, s) : null;
    numericWrap.hidden = !eq;
    if (eq) typeset(numeric, eq);
    if (tiny) renderDiagram(visual, trace, s);
    else renderMnist(visual, trace, s, known);
    renderNumbers(trace, step, tiny);
    renderSource(step.source);
    first.disabled = prev.disabled = s === 0;
    next.disabled = last.disabled = s === count - 1;
    for (const b of timeline.querySelectorAll("button")) {
      if (Number(b.dataset.index) === s) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    }
    live.textContent = `${title.textContent}. ${keyNumbers(trace, step)}`;
  }

  function renderNumbers(trace, step, tiny) {
    const nLayers = trace.sizes.length - 1;
    const items = [];
    for (const key of step.tensors) {
      const name = tensorName(key, nLayers);
      let value;
      let shape;
      if (key === "loss" || key === "loss_after") {
        value = full(trace[key], "float64");
        shape = [];
      } else {
        const t = trace.tensors[key];
        shape = t.shape;
        if (tiny || t.data.length <= 16) {
          const r = rows(t).map((row) => row.map((v) => full(v, trace.dtype)).join(", "));
          value = r.length === 1 && t.shape.length < 2 ? `[${r[0]}]` : `[${r.map((x) => `[${x}]`).join(", ")}]`;
        } else {
          value = `${t.data.length.toLocaleString("en-GB")} values (shown in the picture)`;
        }
      }
      const out = step.outputs.includes(key);
      items.push(
        el("div", { class: `step-number${out ? " out" : ""}`, "data-tensor": key },
          el("dt", {}, el("span", { text: name.text }), ": ", el("span", { class: "shape", text: shapeText(shape) }),
            out ? el("span", { class: "tag", text: "computed here" }) : null),
          el("dd", { text: value })),
      );
    }
    if (step.kind === "after" || step.kind === "loss") {
      // Both losses side by side, so the effect of the update reads at once.
    }
    numbers.replaceChildren(...items);
  }

  function renderSource(src) {
    const marked = new Set(src.highlight);
    const end = src.start + src.lines.length - 1;
    const lines = src.lines.map((text, n) => {
      const number = src.start + n;
      const hl = marked.has(number);
      return el(
        "span",
        { class: `line${hl ? " hl" : ""}`, "data-line": String(number) },
        el("span", { class: "ln", "aria-hidden": "true", text: String(number) }),
        el("span", { class: "mark", "aria-hidden": "true", text: hl ? "▶" : "" }),
        hl ? el("span", { class: "visually-hidden", text: "Highlighted: " }) : null,
        el("span", { class: "text", text: `${text}\n` }),
      );
    });
    const which = [...marked].join(", ");
    code.replaceChildren(
      el("p", { class: "source-file" }, el("code", { text: src.file }), ` lines ${src.start}–${end}; the highlighted line${marked.size > 1 ? "s" : ""} (${which}) did this step.`),
      el("pre", { tabindex: "0", "aria-label": `Source of ${src.file}, lines ${src.start} to ${end}` }, el("code", {}, ...lines)),
    );
  }

  function keyNumbers(trace, step) {
    const parts = [];
    const nLayers = trace.sizes.length - 1;
    for (const key of step.outputs) {
      const name = tensorName(key, nLayers).text;
      if (key === "loss" || key === "loss_after") {
        parts.push(`${name} = ${full(trace[key])}`);
        continue;
      }
      const t = trace.tensors[key];
      if (t.data.length <= 4) parts.push(`${name} = ${Array.from(t.data, (v) => full(v, trace.dtype)).join(", ")}`);
      else if (key === `forward.${nLayers - 1}.a` && trace.activations[nLayers - 1] === "softmax") {
        const p = Array.from(t.data);
        const top = p.indexOf(Math.max(...p));
        parts.push(`highest probability: digit ${top}, ${(p[top] * 100).toFixed(1)}%`);
      } else parts.push(`${name}, ${shapeText(t.shape)}`);
    }
    return parts.join("; ");
  }

  // --- playing ---------------------------------------------------------------------------------
  function setPlaying(on) {
    state.playing = on;
    play.textContent = on ? "⏸ Pause" : "▶ Play";
    play.setAttribute("aria-label", on ? "Pause" : "Play the steps");
    play.setAttribute("aria-pressed", String(on));
  }
  function pause() {
    clearTimeout(state.timer);
    state.timer = null;
    if (state.playing) setPlaying(false);
  }
  function tick() {
    if (!state.playing) return;
    if (section.hidden || !state.trace || state.step >= state.trace.steps.length - 1) {
      pause();
      return;
    }
    go(state.step + 1);
    state.timer = setTimeout(tick, Number(speed.value) * (reduceMotion?.matches ? 1.5 : 1));
  }
  function togglePlay() {
    if (state.playing) {
      pause();
      return;
    }
    if (!state.trace) return;
    if (state.step >= state.trace.steps.length - 1) go(0);
    setPlaying(true);
    state.timer = setTimeout(tick, Number(speed.value));
  }

  first.addEventListener("click", () => { pause(); go(0); });
  prev.addEventListener("click", () => { pause(); go(state.step - 1); });
  next.addEventListener("click", () => { pause(); go(state.step + 1); });
  last.addEventListener("click", () => { pause(); go(Infinity); });
  play.addEventListener("click", togglePlay);

  stage.addEventListener("keydown", (event) => {
    if (!state.trace || event.altKey || event.ctrlKey || event.metaKey || isField(event.target)) return;
    const onControl = event.target instanceof Element && event.target.closest("button, a, summary");
    switch (event.key) {
      case "ArrowRight":
        pause();
        go(state.step + 1);
        break;
      case "ArrowLeft":
        pause();
        go(state.step - 1);
        break;
      case "Home":
        pause();
        go(0);
        break;
      case "End":
        pause();
        go(Infinity);
        break;
      case " ":
        if (onControl) return; // Space presses the focused button
        togglePlay();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  syncFields();

  return {
    show(args = []) {
      if (!state.lrEdited) {
        const lr = Number(settings().lr);
        if (lr > 0) state.lr = lr;
        const loss = settings().loss;
        if (loss) state.loss = loss;
      }
      const { source, step } = parseArgs(args);
      if (!source) {
        pause();
        picker.hidden = false;
        stage.hidden = true;
        state.key = null;
        status.textContent = "";
        return;
      }
      picker.hidden = true;
      open(source, step);
    },
  };
}
