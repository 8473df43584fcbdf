// The status line in the page frame: which network every view uses (what it is, its layers and
// its measured held-out accuracy), drawn from the store. It is read by screen readers politely,
// and only when what the network is changes (a run starting, ending, a file loaded), never on
// every batch: the visible line is not live, a hidden twin carries the announcements.
//
//   <div id="net-status" data-testid="net-status" data-kind="pretrained" data-sizes="784,128,10"
//        data-accuracy="0.979">

import { statusAnnouncement, statusKind, statusText } from "./status-helpers.js";
import { el, throttle } from "./ui.js";

const REDRAW_MS = 250;

/** Fill `host` (the frame's status element) and keep it in step with the store. */
export function mountStatus(host, store) {
  const line = el("span", { class: "net-status-text" });
  const live = el("span", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  host.replaceChildren(line, live);
  let said = "";

  function render() {
    const { model, run } = store;
    line.textContent = statusText(model, run);
    host.dataset.kind = statusKind(model, run);
    host.dataset.sizes = model ? model.sizes.join(",") : "";
    host.dataset.accuracy = Number.isFinite(model?.test_accuracy) ? String(model.test_accuracy) : "";
    const announcement = statusAnnouncement(model, run);
    if (announcement !== said) {
      said = announcement;
      live.textContent = announcement;
    }
  }
  const renderSoon = throttle(render, REDRAW_MS);

  store.subscribe((event) => {
    if (event.type === "progress") renderSoon();
    else if (["model", "run", "measured", "ready"].includes(event.type)) render();
  });
  render();
}
