// Pure helpers of a convolutional network's step-through (no DOM, so that `node --test` imports
// them): which layer a tensor of the trace belongs to, which cells of a map the chosen position
// marks, which position a click on a map picks, where each map goes in a picture, and its pixels.
//
// A trace (App.trace_lesson / trace_digit) of a CNN has `layers` (App.model_info's kinds and
// sizes) and tensors named "forward.i.x|z|a|W|b|winners", "backward.i.da|dz|dW|db", "backward.0.dx"
// and "update.i.W|b|dW_step", each {shape, data (flat, row-major)}; its CNN steps carry
// `position` {layer, c, i, j}: channel c, row i, column j of the output of layer `layer`
// (null: the input image). The learner chooses the position of the first convolution's output;
// every other layer's follows from it in pycore.

import { diverging } from "./ui.js";

/** The step kinds drawn by step-cnn.js; every other step of a CNN trace is a dense layer's. */
export const CNN_KINDS = new Set([
  "input", "conv", "conv_a", "pool", "flatten", "unflatten", "unpool", "conv_dz", "conv_dK", "conv_dx", "conv_update",
]);

/** Whether a trace is a convolutional network's. */
export function isCnn(trace) {
  return Boolean(trace?.layers?.some((layer) => layer.kind === "conv2d"));
}

/** The index of the first convolution, the layer whose output position the learner picks. */
export function firstConv(trace) {
  return trace.layers.findIndex((layer) => layer.kind === "conv2d");
}

/**
 * What a tensor name means: {part, index, what, role, layer}. role is "maps" (a layer's output,
 * or the input image, as (N, C, H, W)), "filters" (a convolution's kernels), "vector" or
 * "other"; `layer` is the layer whose output the maps are (null: the input image).
 */
export function tensorRole(key, shape) {
  const [part, index, what] = key.split(".");
  const i = Number(index);
  const base = { part, index: i, what };
  if (["W", "dW", "dW_step"].includes(what) && shape.length === 4) return { ...base, role: "filters", layer: i };
  if (shape.length !== 4 || what === "winners") return { ...base, role: shape.length === 2 && shape[0] === 1 ? "vector" : "other", layer: i };
  if (what === "x") return { ...base, role: "maps", layer: i === 0 ? null : i - 1 };
  if (what === "dx") return { ...base, role: "maps", layer: null };
  return { ...base, role: "maps", layer: i };
}

/** A step's position with a flatten layer's read as its input's (a flatten step names the maps it reads). */
export function normalPosition(trace, position) {
  if (!position) return null;
  const layer = position.layer === null || position.layer === undefined ? null : position.layer;
  if (layer !== null && trace.layers[layer]?.kind === "flatten") return { ...position, layer: layer - 1, flat: layer };
  return { ...position, layer };
}

/** The first and last padding rows/columns of a convolution ("valid": none; "same": (k-1)/2 and k/2). */
export function pads(layer) {
  if (layer.padding !== "same") return [0, 0];
  return [Math.floor((layer.k - 1) / 2), Math.floor(layer.k / 2)];
}

/** The layer after `layer` (null: the input image, so the first layer), or undefined at the end. */
function nextLayer(trace, layer) {
  return trace.layers[layer === null ? 0 : layer + 1];
}

/**
 * The boxes to outline on the maps that are layer `mapsOf`'s output (null: the input image) for
 * a step's position: [{c (null: every channel), i, j, h, w}] in map cells. The cell itself on the
 * position's own maps; the pooling window or the filter's patch it came from on the maps below;
 * the pooled cell it went to, or the outputs that saw a pixel, on the maps above.
 */
export function marksFor(trace, position, mapsOf) {
  const p = normalPosition(trace, position);
  if (!p) return [];
  const { c, i, j } = p;
  if (mapsOf === p.layer) return [{ c, i, j, h: 1, w: 1 }];
  const producer = p.layer === null ? null : trace.layers[p.layer];
  const below = p.layer === null ? undefined : p.layer === 0 ? null : p.layer - 1;
  if (producer && mapsOf === below) {
    if (producer.kind === "maxpool2d") return [{ c, i: i * producer.size, j: j * producer.size, h: producer.size, w: producer.size }];
    if (producer.kind === "conv2d") {
      const [lo] = pads(producer);
      return [{ c: null, i: i - lo, j: j - lo, h: producer.k, w: producer.k }];
    }
  }
  const above = nextLayer(trace, p.layer);
  if (above && mapsOf === (p.layer === null ? 0 : p.layer + 1)) {
    if (above.kind === "maxpool2d") return [{ c, i: Math.floor(i / above.size), j: Math.floor(j / above.size), h: 1, w: 1 }];
    if (above.kind === "conv2d") {
      const [lo] = pads(above);
      return [{ c: null, i: i + lo - above.k + 1, j: j + lo - above.k + 1, h: above.k, w: above.k }];
    }
  }
  return [];
}

/** The flat index of (c, i, j) in maps of h x w: where a flatten layer puts that value. */
export function flatIndex(c, i, j, h, w) {
  return c * h * w + i * w + j;
}

/** Where the largest value of a pooling window came from: the cell of `winners` (1 = the winner) in it. */
export function winnerIn(winners, [C, H, W], c, i, j, size) {
  for (let u = 0; u < size; u++) {
    for (let v = 0; v < size; v++) {
      const y = i * size + u;
      const x = j * size + v;
      if (y < H && x < W && winners[c * H * W + y * W + x]) return [y, x];
    }
  }
  return [Math.min(H - 1, i * size), Math.min(W - 1, j * size)];
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

/**
 * The position [c, i, j] of the first convolution's output that a pick of cell (c, i, j) on the
 * maps of layer `mapsOf` chooses, or null when those maps cannot choose one: the first
 * convolution's own maps directly, its pooled maps through the window's winner, the image it
 * reads through the patch centred on the pixel.
 */
export function pickPosition(trace, mapsOf, c, i, j) {
  const conv = firstConv(trace);
  if (conv < 0) return null;
  const layer = trace.layers[conv];
  const [C, H, W] = layer.output_shape || trace.tensors[`forward.${conv}.z`].shape.slice(1);
  if (mapsOf === conv) return [c, i, j];
  const pool = trace.layers[conv + 1];
  if (mapsOf === conv + 1 && pool?.kind === "maxpool2d") {
    const winners = trace.tensors[`forward.${conv + 1}.winners`];
    if (!winners) return null;
    const [y, x] = winnerIn(winners.data, [C, H, W], c, i, j, pool.size);
    return [c, y, x];
  }
  if (conv === 0 && mapsOf === null) {
    const [lo] = pads(layer);
    const centre = Math.floor(layer.k / 2);
    return [0, clamp(i - centre + lo, 0, H - 1), clamp(j - centre + lo, 0, W - 1)];
  }
  return null;
}

/** Where the keyboard cursor goes on C maps of H x W: arrows within a map, PageUp/PageDown between maps. */
export function moveCursor([c, i, j], key, [C, H, W]) {
  const moves = {
    ArrowLeft: [0, 0, -1], ArrowRight: [0, 0, 1], ArrowUp: [0, -1, 0], ArrowDown: [0, 1, 0],
    PageUp: [-1, 0, 0], PageDown: [1, 0, 0],
  };
  if (key === "Home") return [c, 0, 0];
  if (key === "End") return [c, H - 1, W - 1];
  const d = moves[key];
  if (!d) return null;
  return [clamp(c + d[0], 0, C - 1), clamp(i + d[1], 0, H - 1), clamp(j + d[2], 0, W - 1)];
}

/**
 * The picture of C maps of H x W (or of filters: `rows` x `cols` tiles): tiles of `px` pixels a
 * cell with `gap` pixels between them, `cols` tiles a row. cell(t, i, j) is that cell's box.
 */
export function mapsLayout(count, H, W, { target = 150, max = 640, cols = null, gap = 6, minPx = 2, maxPx = 24 } = {}) {
  let px = clamp(Math.round(target / Math.max(H, W)), minPx, maxPx);
  // A fixed number of tiles a row (a filter's input channels) still fits `max` where it can.
  if (cols) px = clamp(Math.min(px, Math.floor((max - (cols - 1) * gap) / (cols * W))), minPx, maxPx);
  const tileW = W * px;
  const perRow = cols || clamp(Math.floor((max + gap) / (tileW + gap)), 1, count);
  const rows = Math.ceil(count / perRow);
  const origin = (t) => ({ x: (t % perRow) * (tileW + gap), y: Math.floor(t / perRow) * (H * px + gap) });
  return {
    px, gap, cols: perRow, rows, tileW, tileH: H * px,
    width: perRow * tileW + (perRow - 1) * gap,
    height: rows * H * px + (rows - 1) * gap,
    origin,
    cell(t, i, j) {
      const o = origin(t);
      return { x: o.x + j * px, y: o.y + i * px, w: px, h: px };
    },
    /** The tile and cell under a point of the picture, or null in a gap or outside. */
    at(x, y) {
      const col = Math.floor(x / (tileW + gap));
      const row = Math.floor(y / (H * px + gap));
      const t = row * perRow + col;
      const ox = x - col * (tileW + gap);
      const oy = y - row * (H * px + gap);
      if (col < 0 || col >= perRow || t < 0 || t >= count || ox < 0 || oy < 0 || ox >= tileW || oy >= H * px) return null;
      return { t, i: Math.floor(oy / px), j: Math.floor(ox / px) };
    },
  };
}

/** The largest |value| of data (1 when all are 0, so that a scale never divides by 0). */
export function scaleOf(data) {
  let m = 0;
  for (let k = 0; k < data.length; k++) m = Math.max(m, Math.abs(data[k]));
  return m || 1;
}

/** RGBA of a value: grey for an image (0 black .. 1 white), else purple-white-orange around 0. */
export function colourOf(value, scale, grey = false) {
  if (grey) {
    const v = Math.round(clamp(value, 0, 1) * 255);
    return [v, v, v, 255];
  }
  return [...diverging(value / scale), 255];
}

/**
 * The pixels (RGBA, white gaps) of `count` tiles of H x W values laid out by `layout`: tile t
 * holds data[t*H*W ...]. For ImageData(layout.width, layout.height).
 */
export function mapsPixels(data, count, H, W, layout, { scale = scaleOf(data), grey = false } = {}) {
  const { width, height, px } = layout;
  const out = new Uint8ClampedArray(width * height * 4).fill(255);
  // One 32-bit word per pixel (RGBA in memory order: little-endian words read ABGR), written a
  // cell row at a time: a filter picture holds thousands of tiles.
  const words = new Uint32Array(out.buffer);
  const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  for (let t = 0; t < count; t++) {
    const o = layout.origin(t);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const [r, g, b, a] = colourOf(data[t * H * W + i * W + j], scale, grey);
        const word = little ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
        for (let dy = 0; dy < px; dy++) {
          const at = (o.y + i * px + dy) * width + o.x + j * px;
          words.fill(word, at, at + px);
        }
      }
    }
  }
  return out;
}

/** Human names of a CNN's tensors: {text, about}. */
export function cnnTensorName(key, trace) {
  const [part, index, what] = key.split(".");
  const i = Number(index);
  const k = i + 1;
  const kind = trace.layers[i]?.kind;
  const conv = kind === "conv2d";
  const table = {
    "forward.x": i === 0 ? ["x", "the input image"] : [`a${i}`, `the output of layer ${i}, the input of layer ${k}`],
    "forward.W": conv ? [`K${k}`, `the filters of layer ${k}`] : [`W${k}`, `the weights of layer ${k}`],
    "forward.b": [`b${k}`, `the biases of layer ${k}`],
    "forward.z": conv ? [`z${k}`, `the feature maps of layer ${k} before the activation`] : [`z${k}`, `the weighted sums of layer ${k}`],
    "forward.a": conv ? [`a${k}`, `the feature maps of layer ${k} after the activation`] : kind === "maxpool2d" ? [`a${k}`, "the pooled maps"] : kind === "flatten" ? [`a${k}`, "the flattened vector"] : [`a${k}`, `the activations of layer ${k}`],
    "forward.winners": [`winners${k}`, "where each pooling window's largest value came from"],
    "backward.da": [`dL/da${k}`, `the gradient of the loss with respect to the output of layer ${k}`],
    "backward.dz": [`dL/dz${k}`, `the gradient of the loss with respect to the feature maps z${k}`],
    "backward.dW": conv ? [`dL/dK${k}`, `the gradient of the loss with respect to each filter of layer ${k}`] : [`dL/dW${k}`, `the gradient with respect to W${k}`],
    "backward.db": [`dL/db${k}`, `the gradient with respect to b${k}`],
    "backward.dx": ["dL/dx", "the gradient of the loss with respect to the input image"],
    "update.W": conv ? [`K${k} after`, "the filters after the update"] : [`W${k} after`, "the weights after the update"],
    "update.b": [`b${k} after`, "the biases after the update"],
    "update.dW_step": [`K${k} change`, "after minus before: what the update changed"],
  };
  const [text, about] = table[`${part}.${what}`] || [key, ""];
  return { text, about };
}

/** The words under a step's pictures saying which position its equation shows. */
export function positionText(trace, position) {
  if (!position) return "";
  const p = normalPosition(trace, position);
  if (p.layer === null) return `The equation shows pixel row ${p.i}, column ${p.j} of the input image.`;
  const kind = trace.layers[p.layer]?.kind === "maxpool2d" ? "pooled map" : "feature map";
  return `The equation shows ${kind} ${p.c}, row ${p.i}, column ${p.j} (layer ${p.layer + 1}).`;
}
