// The Train panel's DOM: the settings fields and the "Start from" menu, built from pycore's
// catalogue (App.info().catalog), and the data tables behind the charts.
//
// Every field keeps the ids the page has always had: the input f-NAME, its hint h-NAME (when the
// setting has help) and its error e-NAME, beside it; the menu is #preset.

import { el } from "./ui.js";
import { formSettings } from "./train-helpers.js";

const INPUT_MODES = { int: "numeric", int_list: "numeric", float: "decimal" };

function hint(setting) {
  return setting.help ? el("p", { class: "hint", id: `h-${setting.name}`, text: setting.help }) : null;
}

function describedBy(setting) {
  return [setting.help ? `h-${setting.name}` : null, `e-${setting.name}`].filter(Boolean).join(" ");
}

function error(setting) {
  return el("p", { class: "error", id: `e-${setting.name}`, hidden: true });
}

function checkboxField(setting) {
  const input = el("input", { id: `f-${setting.name}`, name: setting.name, type: "checkbox", "aria-describedby": describedBy(setting) });
  return el("div", { class: "field check" }, input, el("label", { for: input.id, text: setting.label }), hint(setting), error(setting));
}

function selectField(setting) {
  const select = el(
    "select",
    { id: `f-${setting.name}`, name: setting.name, "aria-describedby": describedBy(setting) },
    setting.choices.map(([value, label]) => el("option", { value: String(value), text: label })),
  );
  return el("div", { class: "field" }, el("label", { for: select.id, text: setting.label }), select, hint(setting), error(setting));
}

// The seed gets a "New seed" button beside it.
function textField(setting) {
  const input = el("input", {
    id: `f-${setting.name}`, name: setting.name, type: "text", inputmode: INPUT_MODES[setting.kind] || "text",
    autocomplete: "off", "aria-describedby": describedBy(setting),
  });
  const control = setting.name === "seed"
    ? el("span", { class: "seed-row" }, input, " ", el("button", { type: "button", class: "button small", id: "new-seed", text: "New seed" }))
    : input;
  return el("div", { class: "field" }, el("label", { for: input.id, text: setting.label }), control, hint(setting), error(setting));
}

/** Fill the form's field grid and the "Start from" menu from the catalogue. */
export function buildSettingsForm(grid, preset, catalog) {
  grid.replaceChildren(
    ...formSettings(catalog).map((s) => (s.kind === "bool" ? checkboxField(s) : s.choices ? selectField(s) : textField(s))),
  );
  preset.replaceChildren(
    ...catalog.recipes.map((r) => el("option", { value: r.name, text: r.title })),
    el("option", { value: "custom", text: "Custom" }),
  );
}

/** A data table with a caption, a header row and rows whose first cell heads the row. */
export function dataTable(caption, head, rows) {
  return el(
    "table",
    { class: "data" },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => (i === 0 ? el("th", { scope: "row", text: c }) : el("td", { text: c })))))),
  );
}

/**
 * The parts of the Train panel that belong to one run, added to the markup index.html gives:
 * the caption saying which run the charts show, the question asked before a run replaces the
 * network in use, the verdict with its retry, and what the training accuracy counts.
 * Returns their elements by name.
 */
export function buildRunParts(section) {
  const part = (id) => section.querySelector(`#${id}`);
  const caption = el("p", { class: "run-caption", id: "run-caption", "data-testid": "run-caption" });
  part("run-title").after(caption);

  const confirmText = el("p", { id: "train-confirm-text" });
  const yes = el("button", { type: "button", class: "button primary", id: "train-confirm-yes", "aria-describedby": "train-confirm-text", text: "Replace it and train" });
  const no = el("button", { type: "button", class: "button", id: "train-confirm-no", text: "Cancel" });
  const confirm = el(
    "div",
    { class: "confirm-box", id: "train-confirm", "data-testid": "train-confirm", role: "group", "aria-labelledby": "train-confirm-title", hidden: true },
    el("p", { id: "train-confirm-title" }, el("strong", { text: "Replace the network in use?" })),
    confirmText,
    el("div", { class: "controls" }, yes, no),
  );
  section.querySelector("#train-form .controls").before(confirm);

  const verdictText = el("p", { id: "train-verdict-text" });
  const retry = el("button", { type: "button", class: "button primary", id: "train-retry", "data-testid": "train-retry", hidden: true });
  const verdict = el("div", { class: "alert verdict-box", id: "train-verdict", "data-testid": "train-verdict", role: "alert", hidden: true }, verdictText, retry);
  part("train-diverged").after(verdict);

  const accNote = el("p", {
    class: "help", id: "acc-note",
    text: "Training digits: counted on each batch as it is trained, before that batch's update, over the whole epoch. " +
      "So early in a run it trails the held-out accuracy, which is measured on the network as it is at the epoch's end. " +
      "Both are the same for the same seed.",
  });
  part("acc-summary").after(accNote);

  return { caption, confirm, confirmText, yes, no, verdict, verdictText, retry };
}
