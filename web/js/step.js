// The step-through view: one training step (forward, loss, backward, update) cut into steps, each
// with its real numbers, its equation and the lines of pycore that computed it.
//
// main.js calls mountStep(section, ctx) once and then show(args) for every #/step/... URL:
//   []                                   a picker
//   ["lesson", NAME, SAMPLE?]            a lesson's tiny network (SAMPLE: a person of the lesson,
//                                        or a held-out digit, as the catalogue's sample_kind says)
//   ["digit", INDEX | "random"]          a held-out digit through (a copy of) the current model
//   ["drawing"]                          the drawing of the Draw view
//   ["mine", ID]                         a digit of My digits, with its own label
//   ["lesson", NAME, SAMPLE, "epoch", K] the step on SAMPLE in epoch K of the lesson's training
//   ["train", NAME]                      the lesson's training for many epochs (lesson-train.js)
// followed by an optional "step", N (1-based) that opens step N. The view keeps the URL in step
// with what it shows (history.replaceState, so stepping adds no history entries).
//
// The lessons and loss names come from App.info().catalog; the learning rate and loss start from
// the Train settings in the store (ctx.store.settings) until the reader types their own.
// Numbers have 4 significant figures (numfmt.js) unless the reader ticks "Full precision"; a
// busy line appears when a trace or a big picture takes longer than 150 ms.
// Parts: step-view.js builds the DOM, step-helpers.js holds the pure logic, this file wires them.

import { el, messageOf } from "./ui.js";
import { loadKatex, typeset } from "./step-format.js";
import { isTiny, knownAt, numericEquation, renderDiagram } from "./step-tiny.js";
import { renderMnist } from "./step-mnist.js";
import { isCnn, renderCnn } from "./step-cnn.js";
import { allDigits } from "./persist.js";
import { mountLessonTrain } from "./lesson-train.js";
import {
  PHASES, clampStep, defaultLoss, defaultLr, findLesson, formLoss, keyAction, keyNumbers, lessonOfValue, moveTarget,
  parseArgs, playDelay, readIndex, readLr, sourceValue, statusText, stepHash, traceKey, traceRequest,
  traceableLessons, visibleFields,
} from "./step-helpers.js";
import { buildStepView, fillPeople, markTimeline, renderNumbers, renderSource, renderTimeline, showPlaying } from "./step-view.js";

const FULL_KEY = "pycore.step.full";

/** Whether the reader last chose full precision (kept in localStorage when it may be used). */
function readFull() {
  try {
    return localStorage.getItem(FULL_KEY) === "1";
  } catch {
    return false;
  }
}

function saveFull(on) {
  try {
    localStorage.setItem(FULL_KEY, on ? "1" : "0");
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
}

function isField(target) {
  return target instanceof Element && target.closest("input, select, textarea, [contenteditable=''], [contenteditable='true']");
}

/** Resolves with App.info() once the page is ready (at once if it already is). */
function whenReady(store) {
  if (store.info) return Promise.resolve(store.info);
  return new Promise((resolve) => {
    const off = store.subscribe((event) => {
      if (event.type !== "ready") return;
      off();
      resolve(event.info);
    });
  });
}

class StepView {
  constructor(section, ctx, info) {
    const catalog = info.catalog;
    this.section = section;
    this.ctx = ctx;
    this.lessons = traceableLessons(catalog);
    this.lossNames = catalog.names.loss;
    this.digitCount = info.data?.test || 2000;
    this.reduceMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)");
    const settings = ctx.store.settings;
    this.state = {
      source: null, trace: null, key: null, step: 0, label: "", playing: false, timer: null, request: 0,
      lr: defaultLr(settings, catalog), lrEdited: false, loss: defaultLoss(settings),
      full: readFull(), open: new Set(), busyTimer: null, width: 0,
    };
    this.v = buildStepView(section, { lessons: this.lessons, lossNames: this.lossNames, digitCount: this.digitCount });
    this.v.form.lr.value = String(this.state.lr);
    this.v.form.loss.value = this.state.loss;
    this.wireForm();
    this.wirePlayer();
    this.wireView();
    this.syncFields();
    this.trainer = mountLessonTrain(this.v.train, ctx, { lessons: this.lessons, onStep: (hash) => ctx.navigate(hash) });
  }

  // --- precision, resizing and the busy line ------------------------------------------------------
  wireView() {
    const { player, panes } = this.v;
    player.full.checked = this.state.full;
    player.full.addEventListener("change", () => {
      this.state.full = player.full.checked;
      saveFull(this.state.full);
      if (this.state.trace) this.render();
    });
    // The diagram is laid out for its box's width: lay it out again when that changes.
    if (typeof ResizeObserver === "function") {
      let frame = 0;
      new ResizeObserver(() => {
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(() => this.relayout());
      }).observe(panes.visual);
    }
  }

  relayout() {
    const { trace, step } = this.state;
    const host = this.v.panes.visual;
    if (!trace || !isTiny(trace) || this.section.hidden) return;
    if (Math.abs(host.clientWidth - Number(host.dataset.width || 0)) < 2) return;
    renderDiagram(host, trace, step, this.state.full);
  }

  /** Show `text` in the busy line if the work is still going after 150 ms; busy(false) ends it. */
  busy(on, text = "Working…") {
    const line = this.v.player.busy;
    clearTimeout(this.state.busyTimer);
    if (!on) {
      line.hidden = true;
      line.textContent = "";
      return;
    }
    this.state.busyTimer = setTimeout(() => {
      line.textContent = text;
      line.hidden = false;
    }, 150);
  }

  // --- the form --------------------------------------------------------------------------------
  wireForm() {
    const f = this.v.form;
    f.source.addEventListener("change", () => this.syncFields());
    f.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    f.random.addEventListener("click", () => {
      f.index.value = String(this.randomIndex());
      f.index.removeAttribute("aria-invalid");
    });
  }

  syncFields() {
    const f = this.v.form;
    const shown = visibleFields(f.source.value, this.lessons);
    const lesson = findLesson(this.lessons, lessonOfValue(f.source.value));
    if (shown.person) fillPeople(f.person, lesson.samples);
    f.personField.hidden = !shown.person;
    f.indexField.hidden = !shown.index;
    f.labelField.hidden = !shown.label;
    f.loss.disabled = !shown.loss;
    f.loss.value = formLoss(f.source.value, this.lessons, this.state.loss);
    f.lossHint.textContent = shown.loss
      ? "Cross-entropy or mean squared error for this step."
      : `This lesson's network learns with ${f.loss.selectedOptions[0]?.textContent.toLowerCase() || "its own loss"}.`;
    this.trainer?.offer(lessonOfValue(f.source.value));
  }

  submit() {
    const lr = this.checked(readLr(this.v.form.lr.value), this.v.form.lr, this.v.form.lrError);
    if (lr === null) return;
    const source = this.formSource();
    if (!source) return;
    if (lr !== this.state.lr) this.state.lrEdited = true;
    this.state.lr = lr;
    if (!this.v.form.loss.disabled) this.state.loss = this.v.form.loss.value;
    this.state.label = this.v.form.label.value;
    this.open(source, 0);
  }

  /** The value of a parsed field, or null after marking the field and saying what is wrong. */
  checked(result, input, message = null) {
    if (message) {
      message.textContent = result.error || "";
      message.hidden = !result.error;
    } else if (result.error) {
      this.showError(result.error);
    }
    if (result.error) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return null;
    }
    input.removeAttribute("aria-invalid");
    return result.value;
  }

  formSource() {
    const f = this.v.form;
    const name = lessonOfValue(f.source.value);
    const readDigit = () => this.checked(readIndex(f.index.value, this.digitCount), f.index);
    if (name) {
      const kind = findLesson(this.lessons, name)?.sample_kind;
      const sample = kind === "person" ? Number(f.person.value) : kind === "digit" ? readDigit() : 0;
      return sample === null ? null : { kind: "lesson", name, sample };
    }
    if (f.source.value === "mine" && this.state.source?.kind === "mine") return this.state.source;
    if (f.source.value === "digit") {
      const index = readDigit();
      return index === null ? null : { kind: "digit", index };
    }
    return { kind: "drawing" };
  }

  fillForm(source) {
    const f = this.v.form;
    f.source.value = sourceValue(source);
    this.syncFields();
    const kind = source.kind === "lesson" ? findLesson(this.lessons, source.name)?.sample_kind : null;
    if (kind === "person") f.person.value = String(source.sample % f.person.options.length);
    if (kind === "digit") f.index.value = String(source.sample);
    if (source.kind === "digit") f.index.value = String(source.index);
    f.lr.value = String(source.epoch ? f.lr.value : this.state.lr);
    f.loss.value = formLoss(f.source.value, this.lessons, this.state.loss);
  }

  randomIndex() {
    return Math.floor(Math.random() * this.digitCount);
  }

  showError(message) {
    this.v.error.textContent = message;
    this.v.error.hidden = !message;
  }

  // --- computing a trace -------------------------------------------------------------------------
  async open(source, step) {
    const { state, v } = this;
    this.pause();
    if (source.kind === "digit" && source.index === "random") source = { kind: "digit", index: this.randomIndex() };
    this.fillForm(source);
    const drawing = source.kind === "drawing" ? this.ctx.draw?.getDrawing() : source.kind === "mine" ? await this.myDigit(source.id) : null;
    if (source.kind === "mine" && !drawing) {
      this.showError(`There is no digit number ${source.id} in My digits.`);
      return;
    }
    if (source.kind === "drawing" && !drawing) {
      this.showError("");
      state.source = source;
      v.status.replaceChildren("There is no drawing yet. ", el("a", { href: "#/draw", text: "Draw a digit" }), " first, then come back here.");
      return;
    }
    const key = traceKey(source, state);
    if (key === state.key && state.trace && source.kind !== "drawing") {
      this.go(step ?? state.step);
      return;
    }
    const id = ++state.request;
    this.showError("");
    v.status.textContent = "Running one training step in Python…";
    this.section.setAttribute("aria-busy", "true");
    this.busy(true, "Running one training step in Python…");
    try {
      const [method, params] = traceRequest(source, state, drawing);
      // A CNN's chosen output position (choosePosition) holds for the trace it was chosen on.
      if (state.position && state.positionFor === key) params.position = state.position;
      const [trace] = await Promise.all([this.ctx.client.call(method, params), loadKatex().catch(() => null)]);
      if (id !== state.request) return;
      Object.assign(state, { source, trace, key });
      if (source.epoch) v.form.lr.value = String(trace.lr);
      v.status.textContent = statusText(trace, this.lossNames);
      v.picker.hidden = true;
      v.stage.hidden = false;
      renderTimeline(v.player.timeline, trace.steps, (n) => {
        this.pause();
        this.go(n);
      });
      this.go(Math.min(step ?? 0, trace.steps.length - 1));
    } catch (err) {
      if (id !== state.request) return;
      this.showError(`Could not step through this: ${messageOf(err)}`);
      v.status.textContent = "";
    } finally {
      if (id === state.request) {
        this.section.removeAttribute("aria-busy");
        this.busy(false);
      }
    }
  }

  /** The same step again with output [c, i, j] of a CNN's first convolution in its equations. */
  choosePosition(position) {
    const { state } = this;
    if (!state.trace || !position) return;
    Object.assign(state, { position, positionFor: state.key, key: null });
    this.open(state.source, state.step);
  }

  /** A digit of My digits as a drawing of 28x28 pixels with its label, or null. */
  async myDigit(id) {
    try {
      const record = (await allDigits()).find((r) => r.id === id);
      return record ? { pixels: record.pixels, width: 28, height: 28, label: record.label } : null;
    } catch {
      return null;
    }
  }

  go(n) {
    const { state } = this;
    if (!state.trace) return;
    state.step = clampStep(n, state.trace.steps.length);
    this.render();
    const hash = stepHash(state.source, state.step, this.lessons);
    if (location.hash !== hash) history.replaceState(history.state, "", hash);
  }

  render() {
    const { trace, step: s } = this.state;
    const { panes: p, player } = this.v;
    const step = trace.steps[s];
    const count = trace.steps.length;
    const at = knownAt(trace);
    const tiny = isTiny(trace);
    p.phase.textContent = PHASES[step.phase] || step.phase;
    p.phase.className = `step-phase phase-${step.phase}`;
    p.title.textContent = `Step ${s + 1} of ${count}: ${step.title}`;
    p.about.textContent = trace.sample;
    player.counter.textContent = `Step ${s + 1} of ${count}`;
    p.words.textContent = step.explain;
    typeset(p.equation, step.equation);
    const full = this.state.full;
    const eq = tiny ? numericEquation(trace, s, full) : null;
    p.numericWrap.hidden = !eq;
    if (eq) typeset(p.numeric, eq);
    // A tiny network's diagram comes before the equation; big pictures after the code.
    p.view.insertBefore(p.visual, tiny ? p.body : null);
    p.visual.classList.toggle("after", !tiny);
    if (tiny) renderDiagram(p.visual, trace, s, full);
    else {
      (isCnn(trace) ? renderCnn : renderMnist)(p.visual, trace, s, (key) => key in at && at[key] <= s, {
        onPosition: (position) => this.choosePosition(position),
        open: this.state.open,
        onToggle: (key, open) => (open ? this.state.open.add(key) : this.state.open.delete(key)),
        busy: (on) => this.busy(on, "Drawing the picture…"),
      });
    }
    renderNumbers(p.numbers, trace, step, tiny, full);
    renderSource(p.code, step.source);
    player.first.disabled = player.prev.disabled = s === 0;
    player.next.disabled = player.last.disabled = s === count - 1;
    markTimeline(player.timeline, s);
    this.v.live.textContent = `${p.title.textContent}. ${keyNumbers(trace, step)}`;
    p.view.dataset.seq = String(Number(p.view.dataset.seq) + 1);
  }

  // --- playing -----------------------------------------------------------------------------------
  wirePlayer() {
    const player = this.v.player;
    for (const move of ["first", "prev", "next", "last"]) {
      player[move].addEventListener("click", () => this.move(move));
    }
    player.play.addEventListener("click", () => this.togglePlay());
    this.v.stage.addEventListener("keydown", (event) => this.onKey(event));
  }

  move(name) {
    this.pause();
    this.go(moveTarget(name, this.state.step));
  }

  onKey(event) {
    if (!this.state.trace || event.altKey || event.ctrlKey || event.metaKey || isField(event.target)) return;
    const onControl = event.target instanceof Element && event.target.closest("button, a, summary");
    const action = keyAction(event.key, Boolean(onControl));
    if (!action) return;
    if (action === "toggle") this.togglePlay();
    else this.move(action);
    event.preventDefault();
  }

  setPlaying(on) {
    this.state.playing = on;
    showPlaying(this.v.player.play, on);
    this.v.stage.dataset.playing = String(on);
  }

  pause() {
    clearTimeout(this.state.timer);
    this.state.timer = null;
    if (this.state.playing) this.setPlaying(false);
  }

  schedule() {
    const delay = playDelay(this.v.player.speed.value, this.reduceMotion?.matches);
    this.state.timer = setTimeout(() => this.tick(), delay);
  }

  tick() {
    const { state } = this;
    if (!state.playing) return;
    if (this.section.hidden || !state.trace || state.step >= state.trace.steps.length - 1) {
      this.pause();
      return;
    }
    this.go(state.step + 1);
    this.schedule();
  }

  togglePlay() {
    const { state } = this;
    if (state.playing) {
      this.pause();
      return;
    }
    if (!state.trace) return;
    if (state.step >= state.trace.steps.length - 1) this.go(0);
    this.setPlaying(true);
    this.schedule();
  }

  // --- the URL -----------------------------------------------------------------------------------
  show(args = []) {
    const { state, v } = this;
    if (!state.lrEdited) {
      const settings = this.ctx.store.settings;
      state.lr = defaultLr(settings, this.ctx.store.info?.catalog);
      state.loss = defaultLoss(settings);
    }
    const { source, step, train } = parseArgs(args, this.lessons);
    if (train) {
      this.pause();
      v.picker.hidden = true;
      v.stage.hidden = true;
      state.key = null;
      v.status.textContent = "";
      v.form.source.value = `lesson:${train}`;
      this.syncFields();
      this.trainer.open(train);
      return;
    }
    if (!source) {
      this.pause();
      v.picker.hidden = false;
      v.stage.hidden = true;
      state.key = null;
      v.status.textContent = "";
      return;
    }
    v.picker.hidden = true;
    this.open(source, step);
  }
}

export function mountStep(section, ctx) {
  const view = whenReady(ctx.store).then((info) => new StepView(section, ctx, info));
  return {
    async show(args) {
      (await view).show(args);
    },
    hide() {
      view.then((v) => v.pause());
    },
  };
}
