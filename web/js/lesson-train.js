// A lesson's network trained for many epochs in the page, as the text trains it (per-sample SGD;
// weight/height: learning rate 0.1, 1000 epochs, normal initial weights from seed 0, the numbers
// of `python -m pycore lesson weight-height`), with the loss curve drawn as it falls, then the
// predictions, any input the learner types, and "step through epoch k, sample n".
//
// Python does the training (App.train_lesson, continue_lesson, lesson_predict, in slices of
// 50 ms so that the curve moves and Stop answers); this file only wires the card of
// lesson-train-view.js to those calls. The step view (step.js) mounts it and calls
// offer(name) when a lesson is chosen in its form and open(name) for #/step/train/NAME.

import { messageOf } from "./ui.js";
import { fmt } from "./numfmt.js";
import { epochSamples, inputFields, isTrainable, milestones, readInputs, readSettings, reportEvery } from "./lesson-train-helpers.js";
import { buildTrainView, drawCurve, fillAskFields, fillMilestones, fillPredictions } from "./lesson-train-view.js";
import { findLesson, stepHash } from "./step-helpers.js";
import { el } from "./ui.js";

const SLICE_SECONDS = 0.05;

class LessonTrain {
  constructor(host, ctx, { lessons, onStep }) {
    this.host = host;
    this.client = ctx.client;
    this.lessons = lessons;
    this.onStep = onStep;
    this.name = null;
    this.run = null; // {name, epochs: [], losses: [], total, done, stop}
    this.v = buildTrainView(host);
    this.inputs = [];
    this.v.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.train();
    });
    this.v.stop.addEventListener("click", () => {
      if (this.run) this.run.stop = true;
    });
    this.v.ask.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    this.v.stepForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.stepThrough();
    });
  }

  /** Show the card for a lesson that trains (hide it for others). */
  offer(name) {
    const lesson = findLesson(this.lessons, name);
    if (!isTrainable(lesson)) {
      this.host.hidden = true;
      return;
    }
    this.host.hidden = false;
    if (name === this.name) return;
    this.name = name;
    this.v.title.textContent = `Train “${lesson.title}” for many steps`;
    this.v.note.textContent = "Per-sample SGD: every epoch takes one step per sample, in order. Leave a setting blank for the lesson's own.";
    this.inputs = fillAskFields(this.v.askFields, inputFields(name));
    this.v.stepSample.replaceChildren(...epochSamples(name, lesson).map((t, i) => el("option", { value: String(i), text: t })));
    if (this.run?.name !== name) this.reset();
  }

  /** Show the card for `name` and bring it into view. */
  open(name) {
    this.offer(name);
    if (this.host.hidden) return;
    this.v.title.focus();
  }

  reset() {
    this.v.results.hidden = true;
    this.v.state.textContent = "";
    this.v.milestones.replaceChildren();
    drawCurve(this.v.chart, [], [], 1);
  }

  showError(message, input = null) {
    this.v.error.textContent = message || "";
    this.v.error.hidden = !message;
    for (const i of [this.v.epochs, this.v.lr, this.v.seed]) i.removeAttribute("aria-invalid");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  async train() {
    const read = readSettings({ epochs: this.v.epochs.value, lr: this.v.lr.value, seed: this.v.seed.value });
    if (read.error) return this.showError(read.error, this.v[read.field]);
    this.showError("");
    const name = this.name;
    const run = { name, epochs: [], losses: [], total: 0, done: false, stop: false };
    if (this.run) this.run.stop = true;
    this.run = run;
    this.reset();
    this.setRunning(true);
    try {
      const params = { name, ...read.value, every: reportEvery(read.value.epochs || 1000), max_seconds: SLICE_SECONDS };
      let result = await this.client.call("train_lesson", params);
      this.fillSettings(result.settings);
      while (true) {
        this.progress(run, result);
        if (result.done || run.stop || this.run !== run) break;
        result = await this.client.call("continue_lesson", { name, max_seconds: SLICE_SECONDS });
      }
      if (result.done && this.run === run) this.finish(result);
      else if (this.run === run) this.v.state.textContent = `Stopped after epoch ${result.epoch} of ${result.epochs_total}.`;
    } catch (err) {
      this.showError(`Could not train: ${messageOf(err)}`);
    } finally {
      if (this.run === run) this.setRunning(false);
    }
  }

  setRunning(on) {
    this.v.start.disabled = on;
    this.v.stop.disabled = !on;
    this.host.dataset.running = String(on);
  }

  fillSettings(settings) {
    this.v.epochs.value = String(settings.epochs);
    this.v.lr.value = String(settings.lr);
    this.v.seed.value = settings.seed === null || settings.seed === undefined ? "" : String(settings.seed);
    if (settings.seed === null || settings.seed === undefined) this.v.seed.placeholder = "none (fixed weights)";
    this.v.stepEpoch.max = String(settings.epochs);
  }

  progress(run, result) {
    run.total = result.epochs_total;
    run.epochs.push(...Array.from(result.epochs));
    run.losses.push(...Array.from(result.losses));
    drawCurve(this.v.chart, run.epochs, run.losses, run.total);
    const last = run.losses.length - 1;
    const loss = last >= 0 ? `, loss ${fmt(run.losses[last])}` : "";
    this.v.state.textContent = `Epoch ${result.epoch} of ${result.epochs_total}${loss}`;
    const at = new Map(run.epochs.map((e, i) => [e, run.losses[i]]));
    fillMilestones(this.v.milestones, milestones(run.total).filter((e) => at.has(e)).map((e) => [e, at.get(e)]));
  }

  finish(result) {
    this.run.done = true;
    this.host.dataset.done = "true";
    this.v.state.textContent = `Trained: ${result.epochs_total} epochs, loss ${fmt(this.run.losses.at(-1))}.`;
    fillPredictions(this.v.predictions, result.predictions || [], this.name === "weight-height");
    this.v.results.hidden = false;
  }

  async ask() {
    const fields = inputFields(this.name);
    const read = readInputs(fields, this.inputs.map((i) => i.value));
    for (const i of this.inputs) i.removeAttribute("aria-invalid");
    if (read.error) {
      this.v.answer.textContent = read.error;
      this.inputs[read.field].setAttribute("aria-invalid", "true");
      this.inputs[read.field].focus();
      return;
    }
    try {
      const r = await this.client.call("lesson_predict", { name: this.name, inputs: Float64Array.from(read.value) });
      const out = r.outputs[0];
      const label = r.labels ? ` (${r.labels[0]}: ${r.labels[0] === "F" ? "female" : "male"})` : "";
      this.v.answer.textContent = `The network says ${fmt(out)}${label}.`;
      this.v.answer.title = `Exact: ${out}`;
      this.v.answer.dataset.exact = String(out);
    } catch (err) {
      this.v.answer.textContent = messageOf(err);
    }
  }

  stepThrough() {
    const total = Number(this.v.epochs.value) || 1;
    const epoch = Number(this.v.stepEpoch.value);
    if (!Number.isInteger(epoch) || epoch < 1 || epoch > total) {
      this.v.stepEpoch.setAttribute("aria-invalid", "true");
      this.v.stepEpoch.focus();
      this.v.answer.textContent = "";
      this.showError(`The epoch must be a whole number from 1 to ${total}.`);
      return;
    }
    this.v.stepEpoch.removeAttribute("aria-invalid");
    const source = { kind: "lesson", name: this.name, sample: Number(this.v.stepSample.value), epoch };
    this.onStep(stepHash(source, 0, this.lessons));
  }
}

/** Mount the training card into `host` (a section of the step view). */
export function mountLessonTrain(host, ctx, options) {
  return new LessonTrain(host, ctx, options);
}
