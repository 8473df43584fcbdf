// The Models panel: what the current network is, download it, load another, go back to the default.
// The held-out accuracy shown is always the one pycore measured on this page's digits; a figure a
// file claims for itself is shown only beside it, as a claim.

import { downloadBytes, el, messageOf, percent, showError, sizesText } from "./ui.js";

/** [label, value] rows describing a model (App.model_info); lossNames maps loss names to words. */
export function modelRows(model, lossNames = {}) {
  const t = model.training || {};
  const parameters = model.sizes.slice(1).reduce((sum, n, i) => sum + n * model.sizes[i] + n, 0);
  const rows = [
    ["Layers", sizesText(model.sizes)],
    ["Parameters", parameters.toLocaleString("en-GB")],
    ["Activations", (model.activations || []).join(", ")],
    ["Loss", lossNames?.[model.loss] || model.loss],
    ["Numbers", model.dtype],
    ["Held-out accuracy", model.test_accuracy === null || model.test_accuracy === undefined ? "not measured yet (see Inspect)" : `${percent(model.test_accuracy, 2)} (measured here)`],
  ];
  // A file's own figure is shown only beside the measured one, and named as a claim.
  if (Number.isFinite(model.claimed_accuracy)) rows.push(["Its file claims", percent(model.claimed_accuracy, 2)]);
  if (t.optimizer) {
    rows.push(["Trained with", `${t.optimizer}, learning rate ${t.lr}, batches of ${t.batch_size}, ${t.epochs} epoch${t.epochs === 1 ? "" : "s"}${t.augment ? ", augmentation" : ""}`]);
  }
  return rows;
}

export function mountModels(section, ctx) {
  const { client, store } = ctx;
  const part = (id) => section.querySelector(`#${id}`);
  const info = part("model-info");
  const message = part("models-message");
  const errorBox = part("models-error");
  const upload = part("model-upload");
  const download = part("model-download");
  const reset = part("model-reset");
  let visible = false;
  let stale = true;

  function render(model) {
    const rows = modelRows(model, store.info?.catalog?.names?.loss);
    info.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    info.dataset.sizes = model.sizes.join(",");
  }

  async function refresh() {
    try {
      render(await client.call("model_info"));
      stale = false;
    } catch (err) {
      showError(errorBox, `Could not read the current model: ${messageOf(err)}`);
    }
  }

  function done(text, model) {
    showError(errorBox, "");
    message.textContent = text;
    if (model) render(model);
  }

  download.addEventListener("click", async () => {
    download.disabled = true;
    showError(errorBox, "");
    try {
      const bytes = await store.exportModel();
      downloadBytes(bytes, "pycore-model.npz");
      message.textContent = `Downloaded pycore-model.npz (${(bytes.length / 1024).toFixed(0)} KB).`;
    } catch (err) {
      showError(errorBox, `Could not export the model: ${messageOf(err)}`);
    } finally {
      download.disabled = false;
    }
  });

  upload.addEventListener("change", async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    message.textContent = `Reading ${file.name}…`;
    showError(errorBox, "");
    try {
      const data = new Uint8Array(await file.arrayBuffer());
      const model = await store.loadModel(data, "uploaded");
      done(`Loaded ${file.name}: ${sizesText(model.sizes)}.`, model);
    } catch (err) {
      message.textContent = "";
      showError(errorBox, `${file.name} was not loaded: ${messageOf(err)} The current model is unchanged.`);
    } finally {
      upload.value = "";
    }
  });

  reset.addEventListener("click", async () => {
    try {
      const model = await store.resetModel();
      done(`Back to the pretrained model: ${sizesText(model.sizes)}.`, model);
    } catch (err) {
      showError(errorBox, `Could not reset the model: ${messageOf(err)}`);
    }
  });

  store.subscribe((event) => {
    if (event.type !== "model" && event.type !== "measured") return;
    stale = true;
    if (visible && store.run.state !== "running") refresh();
  });

  return {
    show() {
      visible = true;
      if (stale) refresh();
    },
    hide() {
      visible = false;
    },
  };
}
