// The first layer of a convolutional network as pictures: Draw's feature maps for the current
// drawing (one small canvas per map, painted with putImageData so that a prediction stays cheap)
// and Inspect's filters (one tile per filter). Pure logic: featuremaps-helpers.js.

import { el } from "./ui.js";
import { filtersImage, filtersText, hasConv, largest, mapToRgba } from "./featuremaps-helpers.js";

export { hasConv };

/**
 * Draw's "first layer's feature maps" figure in `host` (a <div> with an <ol class="feature-grid">
 * and a help <p>): setNetwork(model) shows it only for a CNN; show(maps, shape) paints a
 * prediction's maps; clear() blanks them.
 */
export function makeFeatureMaps(host) {
  const grid = host.querySelector(".feature-grid");
  let tiles = [];
  let shapeKey = "";
  let images = [];

  function build([C, H, W]) {
    shapeKey = `${C},${H},${W}`;
    tiles = Array.from({ length: C }, (_, c) => {
      const canvas = el("canvas", { width: W, height: H, role: "img", "aria-label": `Feature map ${c + 1} of ${C}` });
      return { item: el("li", { "data-map": String(c) }, canvas, el("span", { text: String(c + 1) })), canvas, g: canvas.getContext("2d") };
    });
    images = tiles.map((t) => t.g.createImageData(W, H));
    grid.replaceChildren(...tiles.map((t) => t.item));
    host.dataset.shape = shapeKey;
  }

  return {
    setNetwork(model) {
      host.hidden = !hasConv(model);
    },
    /** Paint C maps of H x W (flat, row-major), all on one scale so that strong and weak maps compare. */
    show(maps, shape) {
      if (!maps || !shape) {
        host.hidden = true;
        return;
      }
      host.hidden = false;
      if (shape.join(",") !== shapeKey) build(shape);
      const [C, H, W] = shape;
      const scale = largest(maps);
      for (let c = 0; c < C; c++) {
        mapToRgba(maps, c, H, W, scale, images[c].data);
        tiles[c].g.putImageData(images[c], 0, 0);
      }
      host.dataset.painted = String(Number(host.dataset.painted || 0) + 1);
    },
    clear() {
      for (const t of tiles) t.g.clearRect(0, 0, t.canvas.width, t.canvas.height);
    },
  };
}

/** Inspect's words for a convolution's filters (in place of a dense layer's). */
export const FILTERS_HELP =
  "Each tile shows one filter of the first convolution: the small grid of weights it slides over the image. Orange weights push its feature map up where the pixel under them is inked, purple ones push it down; a filter looks for the pattern its orange part draws (an edge, a stroke in one direction).";

/** Paint a convolution's filters (App.weights: {shape, data}) into a canvas; returns the caption. */
export function paintFilters(canvas, { shape, data }) {
  const { width, height, rgba, columns } = filtersImage(data, shape);
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
  canvas.style.setProperty("--columns", Math.ceil(columns * 1.5));
  canvas.dataset.filters = String(shape[0]);
  canvas.setAttribute("aria-label", `First-layer filters: ${shape[0]} of ${shape[2]} by ${shape[3]} pixels`);
  return filtersText(shape);
}
