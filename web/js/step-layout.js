// Where each part of a tiny network's diagram goes, computed from the measured width of its text,
// so that no two texts meet and nothing falls outside the picture at any screen width.
//
// A diagram is a list of layers; each layer a list of cards; a card is a head (a circle with the
// neuron's name, or the loss box) with its lines of values below it, left-aligned. Two
// arrangements: "wide" puts the layers in columns from left to right (the textbook picture) and
// is used when it fits the width given; "tall" puts them in rows from top to bottom, the cards of
// a layer side by side and wrapping onto more rows when they do not fit (a phone). A card wider
// than the whole width is the one case left: the picture is then wider than the box, and the
// page scales it down as a whole (texts shrink together, so they still never meet).
// Pure functions, no DOM: tests/js/step-layout.test.mjs.

export const METRICS = { font: 13, lineH: 17, radius: 22, headGap: 8, cardGap: 22, colGap: 56, rowGap: 30, margin: 8 };

/** A card's size: {w, h, headW} for lines measured with `measure(text) -> px`. */
export function cardSize(card, measure, m = METRICS) {
  const headW = card.headW || 2 * m.radius;
  const textW = Math.max(0, ...card.lines.map((line) => measure(line)));
  const h = 2 * m.radius + (card.lines.length ? m.headGap + card.lines.length * m.lineH : 0);
  return { w: Math.ceil(Math.max(headW, textW)), h, headW };
}

/** Place a card of size `size` with its top-left at (x, y): its head's centre and its lines. */
function place(size, x, y, card, m) {
  const cx = x + size.headW / 2;
  const cy = y + m.radius;
  const first = y + 2 * m.radius + m.headGap + m.font; // the first line's baseline
  return {
    x, y, w: size.w, h: size.h, cx, cy, headW: size.headW,
    lines: card.lines.map((text, n) => ({ text, x, y: first + n * m.lineH })),
  };
}

function wide(layers, sizes, m) {
  const colW = sizes.map((col) => Math.max(...col.map((s) => s.w)));
  const colH = sizes.map((col) => col.reduce((sum, s) => sum + s.h, 0) + (col.length - 1) * m.cardGap);
  const height = Math.max(...colH) + 2 * m.margin;
  let x = m.margin;
  const cards = layers.map((col, l) => {
    let y = (height - colH[l]) / 2;
    const placed = col.map((card, j) => {
      const p = place(sizes[l][j], x, y, card, m);
      y += sizes[l][j].h + m.cardGap;
      return p;
    });
    x += colW[l] + m.colGap;
    return placed;
  });
  return { mode: "wide", width: x - m.colGap + m.margin, height, cards };
}

/** The cards of one layer split into rows that fit `inner` px (at least one card per row). */
function wrapRows(sizes, inner, gap) {
  const rows = [];
  let row = [];
  let used = 0;
  sizes.forEach((s, j) => {
    const need = row.length ? used + gap + s.w : s.w;
    if (row.length && need > inner) {
      rows.push(row);
      row = [];
      used = 0;
    }
    used = row.length ? used + gap + s.w : s.w;
    row.push(j);
  });
  if (row.length) rows.push(row);
  return rows;
}

function tall(layers, sizes, width, m) {
  const inner = width - 2 * m.margin;
  const rowsOf = sizes.map((layer) => wrapRows(layer, inner, m.cardGap));
  const rowW = (layer, row) => row.reduce((sum, j) => sum + layer[j].w, 0) + (row.length - 1) * m.cardGap;
  const widest = Math.max(...sizes.map((layer, l) => Math.max(...rowsOf[l].map((row) => rowW(layer, row)))));
  const total = Math.max(width, widest + 2 * m.margin);
  let y = m.margin;
  const cards = layers.map((layer, l) => {
    const placed = new Array(layer.length);
    rowsOf[l].forEach((row) => {
      let x = (total - rowW(sizes[l], row)) / 2;
      const h = Math.max(...row.map((j) => sizes[l][j].h));
      for (const j of row) {
        placed[j] = place(sizes[l][j], x, y, layer[j], m);
        x += sizes[l][j].w + m.cardGap;
      }
      y += h + m.rowGap;
    });
    return placed;
  });
  return { mode: "tall", width: total, height: y - m.rowGap + m.margin, cards };
}

/**
 * The layout of `layers` (arrays of cards {lines: [text], headW?}) for a box `width` px wide:
 * {mode, width, height, cards} with cards[l][j] = {x, y, w, h, cx, cy, headW, lines: [{text, x, y}]}
 * (y of a line: its baseline). "wide" when it fits, else "tall".
 */
export function layoutDiagram(layers, measure, width, m = METRICS) {
  const sizes = layers.map((layer) => layer.map((card) => cardSize(card, measure, m)));
  const w = wide(layers, sizes, m);
  if (w.width <= width) return w;
  return tall(layers, sizes, width, m);
}

/** The box of every text of a layout (heads' names included): [{x, y, w, h}], for checks. */
export function textBoxes(layout, measure, m = METRICS) {
  const boxes = [];
  for (const layer of layout.cards) {
    for (const c of layer) {
      for (const line of c.lines) {
        boxes.push({ x: line.x, y: line.y - m.font, w: measure(line.text), h: m.font * 1.25 });
      }
    }
  }
  return boxes;
}

/** Whether two boxes {x, y, w, h} share any area. */
export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
