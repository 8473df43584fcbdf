// The Models panel: what the current network is, download it, load another, go back to the default.

import { byId, el, messageOf, percent, showError, sizesText } from "./ui.js";

const NAMES = { cross_entropy: "cross-entropy", mse: "mean squared error" };

export function mountModels(ctx) {
  const { client, events } = ctx;
  const info = byId("model-info");
  const message = byId("models-message");
  const errorBox = byId("models-error");
  const upload = byId("model-upload");
  const download = byId("model-download");
  const reset = byId("model-reset");
  let visible = false;
  let stale = true;

  function render(model) {
    const t = model.training || {};
    const parameters = model.sizes.slice(1).reduce((sum, n, i) => sum + n * model.sizes[i] + n, 0);
    const rows = [
      ["Layers", sizesText(model.sizes)],
      ["Parameters", parameters.toLocaleString("en-GB")],
      ["Activations", (model.activations || []).join(", ")],
      ["Loss", NAMES[model.loss] || model.loss],
      ["Numbers", model.dtype],
      ["Held-out accuracy", model.test_accuracy === null || model.test_accuracy === undefined ? "not measured yet (see Inspect)" : percent(model.test_accuracy, 2)],
    ];
    if (t.optimizer) {
      rows.push(["Trained with", `${t.optimizer}, learning rate ${t.lr}, batches of ${t.batch_size}, ${t.epochs} epoch${t.epochs === 1 ? "" : "s"}${t.augment ? ", augmentation" : ""}`]);
    }
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
      const bytes = await client.call("export_model");
      const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
      const link = el("a", { href: url, download: "pycore-model.npz", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
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
      const model = await client.call("load_model", { data });
      done(`Loaded ${file.name}: ${sizesText(model.sizes)}.`, model);
      events.dispatchEvent(new CustomEvent("model-loaded", { detail: { model } }));
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { model } }));
    } catch (err) {
      message.textContent = "";
      showError(errorBox, `${file.name} was not loaded: ${messageOf(err)} The current model is unchanged.`);
    } finally {
      upload.value = "";
    }
  });

  reset.addEventListener("click", async () => {
    try {
      const model = await client.call("reset_model");
      done(`Back to the pretrained model: ${sizesText(model.sizes)}.`, model);
      events.dispatchEvent(new CustomEvent("model-loaded", { detail: { model } }));
      events.dispatchEvent(new CustomEvent("model-changed", { detail: { model } }));
    } catch (err) {
      showError(errorBox, `Could not reset the model: ${messageOf(err)}`);
    }
  });

  events.addEventListener("model-changed", (event) => {
    stale = true;
    if (visible && !(event.detail && event.detail.training)) refresh();
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
