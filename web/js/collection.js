// My digits (#/mine): teach the network your own handwriting.
//
// Draw a digit, label it (a digit button, or its key 0-9 while drawing); pycore preprocesses the
// drawing exactly as for a prediction and the 28x28 image it returns joins the collection, kept in
// IndexedDB (persist.js). The panel shows the collection per digit with delete, suggests what to
// draw next, measures the current network on it next to MNIST, exports and imports it in the
// bundled subset's file format, and fine-tunes the network on it mixed with MNIST (through the
// store, which owns every training run), reporting accuracy before and after on held-out
// drawings: did it generalise or memorise?
//
// Two tabs, one truth: the stored collection is what counts. It is read again whenever another tab
// says it changed (digitsChannel), when the view is shown, and before anything that deletes or
// exports it; "Delete all" states the number the store holds and deletes exactly that.
//
// Parts: collection-view.js builds the DOM, collection-helpers.js holds the pure logic, this file
// wires them to the worker, the store and IndexedDB. The fine-tune defaults come from
// App.info().catalog.finetune.

import { addDigits, allDigits, clearDigits, deleteDigit, digitsChannel, newSeed } from "./persist.js";
import { makePad } from "./pad.js";
import { el, messageOf, percent, showError } from "./ui.js";
import {
  MEASURE_DELAY_MS, accuracyNote, counts, endedText, finetuneHelp, finetuneKwargs, finishedText, freshDigits,
  hasEnded, imageToPixels, importedText, packDigits, plural, progressText, promptText, readEpochs, readSeed, tuningWhat,
} from "./collection-helpers.js";
import { buildCollectionView, renderCounts, renderGrid, renderResult } from "./collection-view.js";

class Collection {
  constructor(section, ctx) {
    this.section = section;
    this.client = ctx.client;
    this.store = ctx.store;
    this.v = buildCollectionView(section);
    this.digits = []; // {id, label, pixels, added}, oldest first
    this.predicted = new Map(); // id -> digit the current network reads
    this.heldOut = new Set(); // ids held out by the last fine-tune
    this.visible = false;
    this.measureTimer = null;
    this.measuring = false;
    this.tuning = null; // {what} while our fine-tune is the store's run
    this.defaults = null;
    this.applyDefaults(this.store.info?.catalog?.finetune);
    this.wirePad();
    this.wireFiles();
    this.wireFinetune();
    this.v.summary.measure.addEventListener("click", () => this.measure());
    this.store.subscribe((event) => this.onStore(event));
    this.channel = digitsChannel();
    if (this.channel) this.channel.onmessage = () => this.reread().catch(() => {});
    this.render();
  }

  /** Tell the other tabs that the stored collection changed. */
  changed() {
    this.channel?.postMessage("changed");
  }

  /** Read the stored collection again (another tab may have changed it) and show it. */
  async reread() {
    const list = await allDigits();
    const ids = new Set(list.map((d) => d.id));
    const same = list.length === this.digits.length && this.digits.every((d) => ids.has(d.id));
    this.digits = list;
    for (const id of [...this.predicted.keys()]) if (!ids.has(id)) this.predicted.delete(id);
    for (const id of [...this.heldOut]) if (!ids.has(id)) this.heldOut.delete(id);
    if (!same) {
      this.render();
      this.measureSoon();
    }
    return list;
  }

  // --- the collection ------------------------------------------------------------------------------
  render() {
    const c = counts(this.digits);
    this.v.summary.prompt.textContent = promptText(c);
    this.v.summary.prompt.dataset.total = String(this.digits.length);
    renderCounts(this.v.summary.counts, c);
    this.renderGrid();
    this.v.files.export.disabled = this.digits.length === 0;
    this.v.files.clearAll.disabled = this.digits.length === 0;
  }

  renderGrid() {
    renderGrid(this.v.grid, this.digits, { predicted: this.predicted, heldOut: this.heldOut, onDelete: (id) => this.remove(id) });
  }

  async remove(id) {
    const index = this.digits.findIndex((d) => d.id === id);
    if (index < 0) return;
    const record = this.digits[index];
    try {
      await deleteDigit(id);
      this.changed();
      this.digits.splice(index, 1);
      this.predicted.delete(id);
      this.heldOut.delete(id);
      this.render();
      this.v.pad.status.textContent = `Deleted one ${record.label}.`;
      (this.v.grid.querySelector(`[data-digit="${record.label}"] .delete`) || this.v.pad.canvas).focus();
      this.measureSoon();
    } catch (err) {
      this.v.pad.status.textContent = `Could not delete: ${messageOf(err)}`;
    }
  }

  // --- accuracy ----------------------------------------------------------------------------------
  async measure() {
    this.measureTimer = null;
    if (this.measuring || !this.client.ready) return;
    this.measuring = true;
    const list = this.digits.slice();
    const s = this.v.summary;
    try {
      const r = await this.client.call("my_digits_accuracy", packDigits(list));
      this.predicted.clear();
      list.forEach((d, i) => this.predicted.set(d.id, r.predicted[i]));
      s.mineAcc.textContent = r.count ? percent(r.accuracy) : "–";
      s.mineAcc.dataset.value = r.count ? String(r.accuracy) : "";
      s.mnistAcc.textContent = percent(r.mnist_accuracy);
      s.mnistAcc.dataset.value = String(r.mnist_accuracy);
      s.accNote.textContent = accuracyNote(r);
      this.renderGrid();
    } catch (err) {
      s.accNote.textContent = `Could not measure: ${messageOf(err)}`;
    } finally {
      this.measuring = false;
    }
  }

  measureSoon() {
    clearTimeout(this.measureTimer);
    this.measureTimer = setTimeout(() => this.measure(), MEASURE_DELAY_MS);
  }

  onStore(event) {
    if (event.type === "ready") this.applyDefaults(event.info?.catalog?.finetune);
    else if (event.type === "model") {
      // While a run trains, the model changes batch by batch; a fine-tune measures when it ends.
      if (this.visible && !this.tuning && this.store.run?.state !== "running") this.measureSoon();
    } else if (event.type === "run" || event.type === "progress") this.onRun(event);
  }

  // --- drawing and labelling ---------------------------------------------------------------------
  wirePad() {
    const p = this.v.pad;
    const cleared = () => {
      this.pad.clear();
      p.status.textContent = "Drawing cleared.";
    };
    this.pad = makePad(p.canvas, p.cursor, p.penState, {
      onStroke: () => {
        p.status.textContent = "Now press the digit it shows.";
      },
      onKey: (e) => {
        if (/^[0-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
          this.label(Number(e.key));
          return true;
        }
        if (e.key === "Delete" || e.key === "Backspace") {
          cleared();
          return true;
        }
        return false;
      },
    });
    p.labelButtons.forEach((b, d) => b.addEventListener("click", () => this.label(d)));
    p.clear.addEventListener("click", cleared);
  }

  async label(d) {
    const { status } = this.v.pad;
    if (!this.pad.hasInk) {
      status.textContent = "Draw a digit first, then press its label.";
      return;
    }
    const drawing = this.pad.drawing();
    try {
      const r = await this.client.call("predict", drawing);
      if (r.empty) {
        status.textContent = "The drawing is empty: draw a digit first.";
        return;
      }
      const [record] = await addDigits([{ label: d, pixels: imageToPixels(r.image) }]);
      this.changed();
      this.digits.push(record);
      this.predicted.set(record.id, r.digit);
      this.pad.clear();
      const n = counts(this.digits)[d];
      status.textContent = `Added a ${d} (the network read it as ${r.digit}). You have ${plural(n, "sample")} of ${d}.`;
      this.render();
      this.measureSoon();
    } catch (err) {
      status.textContent = `Could not add the digit: ${messageOf(err)}`;
    }
  }

  // --- export, import, delete all ------------------------------------------------------------------
  wireFiles() {
    const x = this.v.files;
    x.export.addEventListener("click", () => this.exportDigits());
    x.import.addEventListener("change", () => this.importDigits());
    x.clearAll.addEventListener("click", async () => {
      await this.reread().catch(() => {});
      this.askDeleteAll();
      x.confirmBox.hidden = false;
      x.clearAll.hidden = true;
      x.confirmNo.focus();
    });
    x.confirmNo.addEventListener("click", () => this.closeConfirm());
    x.confirmYes.addEventListener("click", () => this.deleteAll());
  }

  /** The question before "Delete all", with the number the store holds now. */
  askDeleteAll(note = "") {
    this.asked = this.digits.length;
    this.v.files.confirmText.textContent = `${note}Delete all ${plural(this.asked, "digit")}? This cannot be undone (export them first to keep a copy).`;
  }

  closeConfirm() {
    const x = this.v.files;
    x.confirmBox.hidden = true;
    x.clearAll.hidden = false;
    x.clearAll.focus();
  }

  async exportDigits() {
    const x = this.v.files;
    showError(x.error, "");
    try {
      const seed = readSeed(this.v.ft.seed.value);
      if (seed.error) throw new Error(seed.error);
      await this.reread();
      const bytes = await this.client.call("export_collection", { ...packDigits(this.digits), seed: seed.value });
      const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
      const link = el("a", { href: url, download: "my-digits.npz", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      x.message.textContent = `Exported ${plural(this.digits.length, "digit")} as my-digits.npz (${(bytes.length / 1024).toFixed(0)} KB).`;
    } catch (err) {
      showError(x.error, `Could not export: ${messageOf(err)}`);
    }
  }

  async importDigits() {
    const x = this.v.files;
    const file = x.import.files && x.import.files[0];
    if (!file) return;
    showError(x.error, "");
    x.message.textContent = `Reading ${file.name}…`;
    try {
      const r = await this.client.call("import_collection", { data: new Uint8Array(await file.arrayBuffer()) });
      const fresh = freshDigits(await this.reread(), r);
      this.digits.push(...(await addDigits(fresh)));
      this.changed();
      this.render();
      this.measureSoon();
      x.message.textContent = importedText(file.name, fresh.length, r.count);
    } catch (err) {
      x.message.textContent = "";
      showError(x.error, `${file.name} was not imported: ${messageOf(err)} Your collection is unchanged.`);
    } finally {
      x.import.value = "";
    }
  }

  async deleteAll() {
    const x = this.v.files;
    try {
      // Another tab may have added or deleted digits since the question: ask again with the new number.
      await this.reread();
      if (this.digits.length !== this.asked) {
        this.askDeleteAll("Your collection changed in another tab. ");
        x.confirmNo.focus();
        return;
      }
      const n = await clearDigits();
      this.changed();
      this.digits = [];
      this.predicted.clear();
      this.heldOut = new Set();
      this.render();
      this.measureSoon();
      x.message.textContent = `Deleted ${plural(n, "digit")}.`;
    } catch (err) {
      showError(x.error, `Could not delete: ${messageOf(err)}`);
    }
    this.closeConfirm();
  }

  // --- fine-tuning ---------------------------------------------------------------------------------
  /** The catalogue's fine-tune defaults fill the form and its help (once the page is ready). */
  applyDefaults(defaults) {
    if (!defaults || this.defaults) return;
    this.defaults = defaults;
    const f = this.v.ft;
    f.help.textContent = finetuneHelp(defaults);
    f.mix.value = String(Math.round(defaults.mnist_share * 100));
    f.mixOut.textContent = `${f.mix.value}%`;
    f.epochs.value = String(defaults.epochs);
    f.seed.value = String(defaults.seed);
  }

  wireFinetune() {
    const f = this.v.ft;
    f.mix.addEventListener("input", () => {
      f.mixOut.textContent = `${f.mix.value}%`;
    });
    f.newSeed.addEventListener("click", () => {
      f.seed.value = String(newSeed());
    });
    f.stop.addEventListener("click", () => {
      this.store.stop().catch((err) => showError(f.error, messageOf(err)));
    });
    f.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.startFinetune();
    });
  }

  /** The form's choices, or null after saying what is wrong. */
  readFinetuneForm() {
    const f = this.v.ft;
    if (this.digits.length < 2) {
      showError(f.error, "Label at least a few digits first (two or more of a digit lets one be held out).");
      return null;
    }
    for (const [result, input] of [[readEpochs(f.epochs.value), f.epochs], [readSeed(f.seed.value), f.seed]]) {
      if (result.error) {
        showError(f.error, result.error);
        input.focus();
        return null;
      }
    }
    return { mixPercent: f.mix.value, epochs: Number(f.epochs.value), seed: readSeed(f.seed.value).value };
  }

  async startFinetune() {
    const f = this.v.ft;
    showError(f.error, "");
    f.result.replaceChildren();
    if (!this.defaults) {
      showError(f.error, "The page is still starting: try again in a moment.");
      return;
    }
    await this.reread().catch(() => {});
    const choices = this.readFinetuneForm();
    if (!choices) return;
    const list = this.digits.slice();
    f.start.disabled = true;
    try {
      const info = await this.store.startFinetune(finetuneKwargs(packDigits(list), this.defaults, choices), { paused: false });
      this.heldOut = new Set(Array.from(info.held_out_index, (i) => list[i].id));
      this.tuning = { what: tuningWhat(info.counts) };
      f.stop.disabled = false;
      f.bar.max = info.total_steps;
      f.bar.value = 0;
      f.bar.hidden = false;
      f.state.textContent = `Fine-tuning on ${this.tuning.what}…`;
      this.section.dataset.finetune = "running";
      this.renderGrid();
    } catch (err) {
      showError(f.error, `Could not start: ${messageOf(err)}`);
      f.start.disabled = false;
    }
  }

  /** A run or progress event of the store, while our fine-tune runs. */
  onRun(event) {
    if (!this.tuning) return;
    const f = this.v.ft;
    const { run } = event;
    if (run.kind && run.kind !== "finetune") {
      this.tuning = null; // a run from the Train view replaced ours
      f.start.disabled = false;
      f.stop.disabled = true;
      f.state.textContent = "Fine-tuning ended: a training run from the Train view took over.";
      return;
    }
    const p = event.progress;
    if (p) {
      f.bar.value = p.step;
      f.progress.textContent = progressText(p);
    }
    const error = event.error || run.error;
    const state = error ? "error" : run.state;
    if (hasEnded(state)) this.finish(state, error);
  }

  async finish(state, error) {
    const f = this.v.ft;
    const { what } = this.tuning;
    this.tuning = null;
    f.start.disabled = false;
    f.stop.disabled = true;
    this.section.dataset.finetune = state;
    if (state === "error" || state === "idle") {
      f.state.textContent = endedText(error);
      return;
    }
    try {
      const r = await this.client.call("finetune_result");
      f.state.textContent = finishedText(state, r, what);
      renderResult(f.result, r);
      this.section.dataset.finetune = "reported";
      this.measure();
    } catch (err) {
      f.state.textContent = `Could not report the result: ${messageOf(err)}`;
    }
  }

  // --- showing -----------------------------------------------------------------------------------
  load() {
    return allDigits()
      .then((list) => {
        this.digits = list;
        this.render();
      })
      .catch((err) => {
        this.render();
        showError(this.v.files.error, `Your collection could not be read from this browser's storage: ${messageOf(err)}`);
      });
  }
}

export function mountCollection(section, ctx) {
  const panel = new Collection(section, ctx);
  const loaded = panel.load();
  return {
    async show() {
      panel.visible = true;
      await loaded;
      await panel.reread().catch(() => {});
      section.dataset.loaded = "true";
      panel.measure();
    },
    hide() {
      panel.visible = false;
    },
  };
}
