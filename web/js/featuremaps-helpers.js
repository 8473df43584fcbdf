// Pure helpers of the first layer's pictures (no DOM; tested with node --test): Draw's feature
// maps of a CNN for the current drawing and Inspect's filters.
//
// Maps arrive from App.predict as `feature_maps` (flat float32, C*H*W, row-major) with
// `feature_shape` [C, H, W]; filters from App.weights as `data` with `shape` [C_out, C_in, k, k].

import { diverging } from "./ui.js";

/** Whether a model (App.model_info) is a convolutional network. */
export function hasConv(model) {
  return Boolean(model?.layers?.some((layer) => layer.kind === "conv2d"));
}

/** The largest |value| of data[from, to) (1 when all are 0). */
export function largest(data, from = 0, to = data.length) {
  let m = 0;
  for (let k = from; k < to; k++) {
    const a = Math.abs(data[k]);
    if (a > m) m = a;
  }
  return m || 1;
}

/**
 * Write map number c (H x W values of `data`) into `rgba` (an ImageData's H*W*4 bytes) on the
 * purple-white-orange scale, where ±scale is the strongest colour.
 */
export function mapToRgba(data, c, H, W, scale, rgba) {
  const n = H * W;
  const base = c * n;
  for (let k = 0; k < n; k++) {
    const [r, g, b] = diverging(data[base + k] / scale);
    rgba[k * 4] = r;
    rgba[k * 4 + 1] = g;
    rgba[k * 4 + 2] = b;
    rgba[k * 4 + 3] = 255;
  }
  return rgba;
}

/** Columns of a grid of `count` filter tiles: about square, at most 8. */
export function filterColumns(count) {
  return Math.max(1, Math.min(8, count, Math.ceil(Math.sqrt(count * 1.6))));
}

/**
 * The pixels of the filters (RGBA, white gaps), filter c's input channels side by side, each
 * filter scaled to its own largest weight: {width, height, rgba, columns}. A cell is px x px.
 */
export function filtersImage(data, [Cout, Cin, k], px = 8, gap = 4) {
  const columns = filterColumns(Cout);
  const tileW = Cin * k * px + (Cin - 1) * 2;
  const width = columns * tileW + (columns - 1) * gap;
  const rows = Math.ceil(Cout / columns);
  const height = rows * k * px + (rows - 1) * gap;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  const size = Cin * k * k;
  for (let c = 0; c < Cout; c++) {
    const scale = largest(data, c * size, (c + 1) * size);
    const ox = (c % columns) * (tileW + gap);
    const oy = Math.floor(c / columns) * (k * px + gap);
    for (let d = 0; d < Cin; d++) {
      for (let u = 0; u < k; u++) {
        for (let v = 0; v < k; v++) {
          const colour = [...diverging(data[c * size + (d * k + u) * k + v] / scale), 255];
          const x0 = ox + d * (k * px + 2) + v * px;
          for (let y = oy + u * px; y < oy + (u + 1) * px; y++) {
            for (let x = x0; x < x0 + px; x++) rgba.set(colour, (y * width + x) * 4);
          }
        }
      }
    }
  }
  return { width, height, rgba, columns };
}

/** What Inspect says about a convolution's filters of shape [C_out, C_in, k, k]. */
export function filtersText([Cout, Cin, k]) {
  const channels = Cin === 1 ? "1 input channel" : `${Cin} input channels side by side`;
  return `K1: ${Cout} filters of ${k}×${k} (${channels}), each scaled to its own largest weight`;
}
