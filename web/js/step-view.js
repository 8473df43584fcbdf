// The DOM of the step-through: the form (what to step through), the player, the current step's
// panes, and the renderers that fill them from a trace. No worker calls and no state here:
// step.js wires these to the trace and the URL.

import { el } from "./ui.js";
import { shapeText, tensorName } from "./step-format.js";
import { DEFAULT_SPEED, SPEEDS, capitalised, sourceCaption, tensorValue } from "./step-helpers.js";

const field = (id, labelText, control, ...extra) =>
  el("div", { class: "field", "data-field": id }, el("label", { for: control.id, text: labelText }), control, ...extra);

/** The form's controls; `lessons` and `lossNames` come from the catalogue. */
function buildForm(lessons, lossNames, digitCount) {
  const c = {};
  c.source = el(
    "select",
    { id: "step-source" },
    el("optgroup", { label: "Lessons" }, ...lessons.map((l) => el("option", { value: `lesson:${l.name}`, text: l.title }))),
    el(
      "optgroup",
      { label: "The current model" },
      el("option", { value: "digit", text: "A held-out digit" }),
      el("option", { value: "drawing", text: "Your drawing" }),
      el("option", { value: "mine", text: "One of My digits", hidden: true }),
    ),
  );
  c.person = el("select", { id: "step-person" });
  c.index = el("input", { id: "step-index", type: "text", inputmode: "numeric", autocomplete: "off", value: "0", "aria-describedby": "step-index-hint" });
  c.random = el("button", { type: "button", class: "button small subtle", text: "Random digit", "data-testid": "step-random" });
  c.label = el(
    "select",
    { id: "step-label" },
    el("option", { value: "", text: "The network's prediction" }),
    ...Array.from({ length: 10 }, (_, d) => el("option", { value: String(d), text: String(d) })),
  );
  c.lr = el("input", { id: "step-lr", type: "text", inputmode: "decimal", autocomplete: "off", "aria-describedby": "step-lr-hint step-lr-error", "data-testid": "step-lr" });
  c.lrError = el("p", { class: "error", id: "step-lr-error", hidden: true });
  c.loss = el(
    "select",
    { id: "step-loss", "aria-describedby": "step-loss-hint" },
    ...Object.entries(lossNames).map(([value, text]) => el("option", { value, text: capitalised(text) })),
  );
  c.lossHint = el("p", { class: "hint", id: "step-loss-hint", text: "For digits; each lesson has its own loss." });
  c.personField = field("person", "Person", c.person);
  c.indexField = field(
    "index",
    "Digit number",
    c.index,
    el("p", { class: "hint", id: "step-index-hint", text: `0 to ${digitCount - 1}, one of the held-out test digits` }),
    c.random,
  );
  c.labelField = field("label", "Label to learn", c.label);
  c.form = el(
    "form",
    { class: "card step-form", novalidate: true, "aria-labelledby": "step-form-title" },
    el("h2", { id: "step-form-title", text: "What to step through" }),
    el(
      "div",
      { class: "field-grid" },
      field("source", "Sample", c.source),
      c.personField,
      c.indexField,
      c.labelField,
      field("lr", "Learning rate η", c.lr, el("p", { class: "hint", id: "step-lr-hint", text: "One plain SGD step: W ← W − η·dL/dW" }), c.lrError),
      field("loss", "Loss", c.loss, c.lossHint),
    ),
    el("div", { class: "controls" }, el("button", { type: "submit", class: "button primary", text: "Show this step", "data-testid": "step-apply" })),
  );
  return c;
}

/** The player: first, previous, play, next, last, speed, counter, and the timeline of steps. */
function buildPlayer() {
  const btn = (testid, text, label) => el("button", { type: "button", class: "button small", "data-testid": testid, "aria-label": label, title: label, text });
  const p = {
    first: btn("step-first", "« First", "First step"),
    prev: btn("step-prev", "◀ Previous", "Previous step"),
    play: btn("step-play", "▶ Play", "Play the steps"),
    next: btn("step-next", "Next ▶", "Next step"),
    last: btn("step-last", "Last »", "Last step"),
    speed: el("select", { id: "step-speed" }, ...SPEEDS.map(([v, t]) => el("option", { value: v, text: t }))),
    counter: el("span", { class: "step-counter", "data-testid": "step-counter" }),
    full: el("input", { type: "checkbox", id: "step-full", "data-testid": "step-full", "aria-describedby": "step-full-hint" }),
    busy: el("span", { class: "step-busy", role: "status", "data-testid": "step-busy", hidden: true }),
    timeline: el("ol", { class: "step-timeline", "aria-label": "All steps" }),
  };
  p.speed.value = DEFAULT_SPEED;
  p.bar = el(
    "div",
    { class: "step-player", role: "group", "aria-label": "Step controls" },
    p.first, p.prev, p.play, p.next, p.last,
    el("span", { class: "field inline" }, el("label", { for: "step-speed", text: "Speed" }), p.speed),
    el(
      "span",
      { class: "field inline check" },
      p.full,
      el("label", { for: "step-full", text: "Full precision" }),
      el("span", { class: "visually-hidden", id: "step-full-hint", text: "Write every number as its exact float instead of 4 significant figures." }),
    ),
    p.counter,
    p.busy,
  );
  return p;
}

/** The panes of the current step. The view's data-seq counts its renders (for tests). */
function buildStepPanes() {
  const s = {
    phase: el("span", { class: "step-phase" }),
    title: el("h2", { class: "step-title", id: "step-title" }),
    about: el("p", { class: "step-about muted" }),
    words: el("p", { class: "step-words" }),
    equation: el("div", { class: "step-equation", role: "region", tabindex: "0", "aria-label": "The equation (scrolls sideways if it is wider than the screen)" }),
    numeric: el("div", { class: "step-equation numeric", role: "region", tabindex: "0", "aria-label": "The equation with the numbers (scrolls sideways if it is wider than the screen)" }),
    visual: el("div", { class: "step-visual" }),
    numbers: el("dl", { class: "step-numbers" }),
    code: el("div", { class: "step-source", "data-testid": "step-source" }),
  };
  s.numericWrap = el("div", { class: "step-numeric" }, el("h3", { text: "With the numbers" }), s.numeric);
  s.body = el(
    "div",
    { class: "step-body" },
    el("div", { class: "step-left" }, el("h3", { text: "The equation" }), s.equation, s.numericWrap, el("h3", { text: "The numbers" }), s.numbers),
    el("div", { class: "step-right" }, el("h3", { text: "The code that computed it" }), s.code),
  );
  // The diagram of a tiny network goes before the equation; big pictures after the code.
  s.view = el(
    "div",
    { class: "step-view", "data-testid": "step-view", "data-seq": "0", tabindex: "0", "aria-labelledby": "step-title", "aria-describedby": "step-keys" },
    el("header", { class: "step-head" }, s.phase, s.title, s.about),
    s.words,
    s.visual,
    s.body,
  );
  return s;
}

function buildPicker(lessons) {
  return el(
    "div",
    { class: "card step-picker" },
    el("h2", { text: "Choose something to step through" }),
    el(
      "ul",
      {},
      ...lessons.map((l) => el("li", {}, el("a", { href: `#/step/lesson/${l.name}`, text: l.title }))),
      el("li", {}, el("a", { href: "#/step/digit/random", text: "A random held-out digit through the current model" })),
      el("li", {}, el("a", { href: "#/step/drawing", text: "Your drawing through the current model" })),
    ),
  );
}

/** Build the whole view into `section`; returns every node the wiring needs. */
export function buildStepView(section, { lessons, lossNames, digitCount }) {
  const form = buildForm(lessons, lossNames, digitCount);
  const player = buildPlayer();
  const panes = buildStepPanes();
  const keysHelp = el(
    "p",
    { class: "help", id: "step-keys" },
    "Keyboard: with the step view focused, ", el("kbd", { text: "→" }), " next, ", el("kbd", { text: "←" }), " previous, ",
    el("kbd", { text: "Home" }), " first, ", el("kbd", { text: "End" }), " last, ", el("kbd", { text: "Space" }), " play or pause.",
  );
  const v = {
    form,
    player,
    panes,
    status: el("p", { class: "step-status muted", role: "status" }),
    error: el("div", { class: "alert", role: "alert", hidden: true }),
    train: el("section", { class: "card lesson-train", "data-testid": "lesson-train", hidden: true, "aria-labelledby": "lesson-train-title" }),
    live: el("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", "data-testid": "step-announce" }),
    stage: el("div", { class: "card step-stage", hidden: true }, player.bar, player.timeline, keysHelp, panes.view),
    picker: buildPicker(lessons),
  };
  section.replaceChildren(
    el("h1", { text: "Step through one training step" }),
    el("p", { class: "lede", text: "Forward pass, loss, backward pass and update, one operation at a time, with the real numbers and the lines of Python that computed them." }),
    form.form,
    v.train,
    v.error,
    v.status,
    v.picker,
    v.stage,
    v.live,
  );
  section.classList.add("step-section");
  return v;
}

/** The person <select> of a lesson with people (its samples), keeping the choice if it fits. */
export function fillPeople(select, samples) {
  const keep = select.value;
  select.replaceChildren(...samples.map((p, i) => el("option", { value: String(i), text: p })));
  if (Number(keep) < samples.length) select.value = keep;
}

/** One button per step; `onPick(n)` opens step n. */
export function renderTimeline(timeline, steps, onPick) {
  timeline.replaceChildren(
    ...steps.map((s, n) =>
      el(
        "li",
        { class: `phase-${s.phase}` },
        el(
          "button",
          { type: "button", class: "step-dot", "data-index": String(n), onclick: () => onPick(n) },
          el("span", { class: "visually-hidden", text: `Step ${n + 1}: ` }),
          el("span", { "aria-hidden": "true", text: String(n + 1) }),
          el("span", { class: "visually-hidden", text: ` ${s.title}` }),
        ),
      ),
    ),
  );
}

export function markTimeline(timeline, current) {
  for (const b of timeline.querySelectorAll("button")) {
    if (Number(b.dataset.index) === current) b.setAttribute("aria-current", "step");
    else b.removeAttribute("aria-current");
  }
}

/**
 * The tensors of a step as a definition list, the ones it computed marked. Values have 4
 * significant figures; hovering or focusing one shows it exactly, and `full` writes them exactly.
 */
export function renderNumbers(numbers, trace, step, tiny, full = false) {
  const nLayers = trace.sizes.length - 1;
  numbers.replaceChildren(
    ...step.tensors.map((key) => {
      const name = tensorName(key, nLayers);
      const { value, exact, shape } = tensorValue(trace, key, tiny, full);
      const more = !full && exact !== value;
      const out = step.outputs.includes(key);
      return el(
        "div",
        { class: `step-number${out ? " out" : ""}`, "data-tensor": key },
        el(
          "dt",
          {},
          el("span", { text: name.text }), ": ", el("span", { class: "shape", text: shapeText(shape) }),
          out ? el("span", { class: "tag", text: "computed here" }) : null,
        ),
        el(
          "dd",
          more ? { tabindex: "0", title: `Exact: ${exact}` } : {},
          el("span", { class: "value", text: value }),
          more ? el("span", { class: "exact" }, el("span", { class: "visually-hidden", text: "Exact: " }), exact) : null,
        ),
      );
    }),
  );
}

/** The source excerpt of a step, its highlighted lines marked in text as well as in colour. */
export function renderSource(code, src) {
  const marked = new Set(src.highlight);
  const caption = sourceCaption(src);
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
  code.replaceChildren(
    el("p", { class: "source-file" }, el("code", { text: src.file }), caption.text),
    el("pre", { tabindex: "0", "aria-label": caption.label }, el("code", {}, ...lines)),
  );
}

/** Show the player as playing or paused. */
export function showPlaying(play, on) {
  play.textContent = on ? "⏸ Pause" : "▶ Play";
  play.setAttribute("aria-label", on ? "Pause" : "Play the steps");
  play.setAttribute("aria-pressed", String(on));
}
