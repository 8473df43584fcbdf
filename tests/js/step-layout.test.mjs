// The diagram layout of the tiny networks (web/js/step-layout.js): no two texts meet, nothing
// leaves the picture, columns when they fit and rows when they do not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { layoutDiagram, overlaps, textBoxes } from "../../web/js/step-layout.js";

const measure = (text) => text.length * 8;
const card = (n, width = 16) => ({ lines: Array.from({ length: n }, (_, i) => `v${i} = `.padEnd(width, "9")) });
// A 2-2-1 network late in the backward pass: long cards, and the loss card.
const NET = [[card(1, 8), card(1, 8)], [card(13), card(13)], [card(13)], [{ lines: ["y = 1", "L = 0.2269", "L after = 0.2211"], headW: 68 }]];

function check(layout) {
  const boxes = textBoxes(layout, measure);
  for (let a = 0; a < boxes.length; a++) {
    const b = boxes[a];
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= layout.width && b.y + b.h <= layout.height, `text ${a} outside`);
    for (let c = a + 1; c < boxes.length; c++) assert.ok(!overlaps(b, boxes[c]), `texts ${a} and ${c} meet`);
  }
  // Cards (with their heads) never overlap either.
  const cards = layout.cards.flat();
  for (let a = 0; a < cards.length; a++) {
    for (let c = a + 1; c < cards.length; c++) assert.ok(!overlaps(cards[a], cards[c]), `cards ${a} and ${c} meet`);
  }
}

test("a wide box gets the textbook picture: layers in columns", () => {
  const layout = layoutDiagram(NET, measure, 1200);
  assert.equal(layout.mode, "wide");
  assert.ok(layout.width <= 1200);
  check(layout);
});

test("a phone gets rows, as wide as the box, still without a meeting", () => {
  for (const width of [300, 340, 390]) {
    const layout = layoutDiagram(NET, measure, width);
    assert.equal(layout.mode, "tall");
    assert.equal(layout.width, width);
    check(layout);
  }
});

test("cards of a layer wrap onto more rows when side by side they would not fit", () => {
  const layout = layoutDiagram(NET, measure, 200);
  const [h1, h2] = layout.cards[1];
  assert.ok(h2.y > h1.y + h1.h);
  check(layout);
});

test("a card wider than the box makes the picture wider (the page scales it as a whole)", () => {
  const layout = layoutDiagram([[card(1, 60)], [card(2)]], measure, 300);
  assert.ok(layout.width > 300);
  check(layout);
});
