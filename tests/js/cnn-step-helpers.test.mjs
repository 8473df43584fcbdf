// The pure logic of a CNN's step-through (web/js/step-cnn-helpers.js): which layer a tensor's maps
// belong to, what the chosen position outlines on each map, which position a pick on a map chooses,
// where the keyboard cursor goes, and the pixels of a picture of maps.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CNN_KINDS, cnnTensorName, firstConv, flatIndex, isCnn, mapsLayout, mapsPixels, marksFor, moveCursor, normalPosition,
  pickPosition, positionText, tensorRole, winnerIn,
} from "../../web/js/step-cnn-helpers.js";

// The lesson's network: conv 8@3x3 valid -> maxpool 2 -> flatten -> dense 10.
const LAYERS = [
  { kind: "conv2d", c_in: 1, c_out: 8, k: 3, padding: "valid", activation: "identity" },
  { kind: "maxpool2d", size: 2 },
  { kind: "flatten" },
  { kind: "dense", n_in: 1352, n_out: 10, activation: "softmax" },
];

function lessonTrace() {
  const winners = new Uint8Array(8 * 26 * 26);
  // Window (c=5, i=4, j=7) covers rows 8-9, columns 14-15; its winner is row 9, column 14.
  winners[5 * 676 + 9 * 26 + 14] = 1;
  return {
    layers: LAYERS,
    tensors: {
      "forward.0.z": { shape: [1, 8, 26, 26], data: new Float32Array(8 * 676) },
      "forward.1.winners": { shape: [1, 8, 26, 26], data: winners },
    },
  };
}

test("a trace with a convolution is a CNN's, a dense one is not", () => {
  assert.equal(isCnn(lessonTrace()), true);
  assert.equal(isCnn({ layers: [{ kind: "dense" }] }), false);
  assert.equal(isCnn({ sizes: [2, 2, 1] }), false);
  assert.equal(firstConv(lessonTrace()), 0);
  for (const kind of ["conv", "pool", "conv_dK", "conv_dx", "conv_update"]) assert.ok(CNN_KINDS.has(kind));
  assert.ok(!CNN_KINDS.has("z"));
});

test("each tensor's maps are the output of the layer that made them", () => {
  assert.deepEqual(tensorRole("forward.0.x", [1, 1, 28, 28]), { part: "forward", index: 0, what: "x", role: "maps", layer: null });
  assert.equal(tensorRole("forward.1.x", [1, 8, 26, 26]).layer, 0);
  assert.equal(tensorRole("forward.0.z", [1, 8, 26, 26]).layer, 0);
  assert.equal(tensorRole("backward.1.da", [1, 8, 13, 13]).layer, 1);
  assert.equal(tensorRole("backward.0.dx", [1, 1, 28, 28]).layer, null);
  assert.equal(tensorRole("forward.0.W", [8, 1, 3, 3]).role, "filters");
  assert.equal(tensorRole("update.0.dW_step", [8, 1, 3, 3]).role, "filters");
  assert.equal(tensorRole("forward.3.W", [10, 1352]).role, "other");
  assert.equal(tensorRole("forward.2.a", [1, 1352]).role, "vector");
  assert.equal(tensorRole("forward.1.winners", [1, 8, 26, 26]).role, "other");
});

test("the position outlines its cell, the patch it read and the pooled cell it went to", () => {
  const trace = lessonTrace();
  const conv = { layer: 0, c: 5, i: 9, j: 15 };
  assert.deepEqual(marksFor(trace, conv, 0), [{ c: 5, i: 9, j: 15, h: 1, w: 1 }]);
  assert.deepEqual(marksFor(trace, conv, null), [{ c: null, i: 9, j: 15, h: 3, w: 3 }]);
  assert.deepEqual(marksFor(trace, conv, 1), [{ c: 5, i: 4, j: 7, h: 1, w: 1 }]);
  const pool = { layer: 1, c: 5, i: 4, j: 7 };
  assert.deepEqual(marksFor(trace, pool, 0), [{ c: 5, i: 8, j: 14, h: 2, w: 2 }]);
  // A flatten step names the pooled maps it reads.
  assert.deepEqual(marksFor(trace, { layer: 2, c: 5, i: 4, j: 7 }, 1), [{ c: 5, i: 4, j: 7, h: 1, w: 1 }]);
  // dL/dx at pixel (10, 16): every output whose 3x3 patch covered it, rows 8-10, columns 14-16.
  assert.deepEqual(marksFor(trace, { layer: null, c: 0, i: 10, j: 16 }, 0), [{ c: null, i: 8, j: 14, h: 3, w: 3 }]);
  assert.deepEqual(marksFor(trace, null, 0), []);
});

test("'same' padding shifts the patch by the padding", () => {
  const trace = { layers: [{ kind: "conv2d", k: 3, padding: "same" }] };
  assert.deepEqual(marksFor(trace, { layer: 0, c: 1, i: 0, j: 0 }, null), [{ c: null, i: -1, j: -1, h: 3, w: 3 }]);
});

test("a pick chooses the first convolution's output, through the pooling winner or the patch's centre", () => {
  const trace = lessonTrace();
  assert.deepEqual(pickPosition(trace, 0, 2, 3, 4), [2, 3, 4]);
  assert.deepEqual(pickPosition(trace, 1, 5, 4, 7), [5, 9, 14]);
  // A window without a marked winner falls back to its first cell.
  assert.deepEqual(pickPosition(trace, 1, 0, 0, 0), [0, 0, 0]);
  assert.deepEqual(pickPosition(trace, null, 0, 10, 16), [0, 9, 15]);
  assert.deepEqual(pickPosition(trace, null, 0, 0, 27), [0, 0, 25]);
  assert.equal(pickPosition(trace, 2, 0, 0, 0), null);
  assert.equal(pickPosition({ layers: [{ kind: "dense" }], tensors: {} }, 0, 0, 0, 0), null);
});

test("the winner of a window is found where winners marks it", () => {
  const winners = new Uint8Array(16);
  winners[1 * 4 + 3] = 1; // row 1, column 3: window (0, 1) of a 4x4 map
  assert.deepEqual(winnerIn(winners, [1, 4, 4], 0, 0, 1, 2), [1, 3]);
});

test("arrow keys move within a map and stop at its edges; Page keys change the map", () => {
  const shape = [8, 26, 26];
  assert.deepEqual(moveCursor([0, 0, 0], "ArrowRight", shape), [0, 0, 1]);
  assert.deepEqual(moveCursor([0, 0, 0], "ArrowLeft", shape), [0, 0, 0]);
  assert.deepEqual(moveCursor([0, 25, 3], "ArrowDown", shape), [0, 25, 3]);
  assert.deepEqual(moveCursor([7, 2, 3], "PageDown", shape), [7, 2, 3]);
  assert.deepEqual(moveCursor([3, 2, 3], "PageUp", shape), [2, 2, 3]);
  assert.deepEqual(moveCursor([3, 2, 3], "End", shape), [3, 25, 25]);
  assert.equal(moveCursor([0, 0, 0], "a", shape), null);
});

test("the layout finds every cell it placed, and nothing in the gaps", () => {
  const layout = mapsLayout(8, 26, 26, { target: 130, max: 560 });
  assert.equal(layout.px, 5);
  assert.ok(layout.width <= 560);
  for (const [t, i, j] of [[0, 0, 0], [5, 9, 15], [7, 25, 25]]) {
    const r = layout.cell(t, i, j);
    assert.deepEqual(layout.at(r.x + r.w / 2, r.y + r.h / 2), { t, i, j });
  }
  assert.equal(layout.at(layout.tileW + 1, 3), null);
  assert.equal(layout.at(-1, 0), null);
  assert.equal(layout.at(layout.width + 5, 0), null);
});

test("the pixels of the maps: one colour per value, white between the tiles", () => {
  const layout = mapsLayout(2, 1, 2, { target: 2, minPx: 1, gap: 1 });
  assert.deepEqual([layout.width, layout.height], [5, 1]);
  const px = mapsPixels(Float32Array.from([-1, 0, 1, 0]), 2, 1, 2, layout, { scale: 1 });
  assert.deepEqual(Array.from(px.subarray(0, 4)), [94, 60, 153, 255]); // -1: purple
  assert.deepEqual(Array.from(px.subarray(8, 12)), [255, 255, 255, 255]); // the gap
  assert.deepEqual(Array.from(px.subarray(12, 16)), [230, 97, 1, 255]); // +1: orange
  const grey = mapsPixels(Float32Array.from([0.5]), 1, 1, 1, mapsLayout(1, 1, 1, { target: 1, minPx: 1 }), { grey: true });
  assert.deepEqual(Array.from(grey), [128, 128, 128, 255]);
});

test("names and words say what a tensor and a position are", () => {
  const trace = lessonTrace();
  assert.equal(cnnTensorName("forward.0.W", trace).text, "K1");
  assert.equal(cnnTensorName("backward.0.dW", trace).text, "dL/dK1");
  assert.equal(cnnTensorName("forward.3.W", trace).text, "W4");
  assert.match(cnnTensorName("forward.1.a", trace).about, /pooled/);
  assert.equal(flatIndex(5, 4, 7, 13, 13), 5 * 169 + 4 * 13 + 7);
  assert.deepEqual(normalPosition(trace, { layer: 2, c: 1, i: 2, j: 3 }), { layer: 1, c: 1, i: 2, j: 3, flat: 2 });
  assert.equal(positionText(trace, { layer: 0, c: 5, i: 9, j: 15 }), "The equation shows feature map 5, row 9, column 15 (layer 1).");
  assert.match(positionText(trace, { layer: 1, c: 5, i: 4, j: 7 }), /pooled map 5/);
  assert.match(positionText(trace, { layer: null, c: 0, i: 10, j: 16 }), /pixel row 10, column 16 of the input image/);
  assert.equal(positionText(trace, null), "");
});
