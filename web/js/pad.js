// A drawing pad on a canvas, shared by the Draw panel and My digits: mouse, touch and pen through
// Pointer Events (touch never scrolls the page), and a keyboard cursor (arrow keys move it, Shift
// moves further, Space puts the pen down or lifts it, Escape lifts it). The ink is white with a
// round pen; drawing() returns its alpha channel, 0..255 row by row, with the canvas's size: what
// pycore's predict reads. version changes with every change of the ink.
//
// The keyboard cursor and the focus ring show only when the keyboard is in use: a stroke with a
// mouse, finger or pen focuses the canvas (so Enter and Delete work next) with
// canvas[data-input="pointer"], which hides the ring (app.css); a key press makes it "keyboard".
//
// Callbacks: onInk() after every change of the ink, onStroke(source) when a stroke ends (source
// "pointer" on release, "keyboard" when Space lifts the pen), onKey(event) for any other key,
// returning true when it handled the key.

export const LINE_WIDTH = 20; // canvas pixels on a 280x280 canvas: about two MNIST pixels wide
const KEY_STEP = 10; // one MNIST pixel

/** A drawing pad: mouse, touch and pen, and a keyboard cursor (arrows move, Space pen up/down). */
export function makePad(canvas, cursor, penState, { onInk = () => {}, onStroke = () => {}, onKey = () => false }) {
  const pad = makeInk(canvas);
  const keys = listenKeyboard(canvas, cursor, penState, pad, { onInk, onStroke, onKey });
  listenPointer(canvas, cursor, pad, { onInk, onStroke });
  const clearInk = pad.clear;
  pad.clear = () => {
    clearInk();
    keys.penUp();
  };
  return pad;
}

/** The ink on the canvas: a round white pen, dots and lines, read back as its alpha channel. */
function makeInk(canvas) {
  const g = canvas.getContext("2d", { willReadFrequently: true });
  g.lineWidth = LINE_WIDTH;
  g.lineCap = "round";
  g.lineJoin = "round";
  g.strokeStyle = "#fff";
  g.fillStyle = "#fff";
  const pad = {
    hasInk: false,
    version: 0, // changes with every change of the ink
    dot(p) {
      g.beginPath();
      g.arc(p.x, p.y, LINE_WIDTH / 2, 0, Math.PI * 2);
      g.fill();
      pad.hasInk = true;
      pad.version += 1;
    },
    line(a, b) {
      g.beginPath();
      g.moveTo(a.x, a.y);
      g.lineTo(b.x, b.y);
      g.stroke();
      pad.hasInk = true;
      pad.version += 1;
    },
    /** The ink as {pixels (0..255, row by row), width, height}: the payload of pycore's predict. */
    drawing() {
      const { width, height } = canvas;
      const rgba = g.getImageData(0, 0, width, height).data;
      const pixels = new Uint8Array(width * height);
      for (let i = 0; i < pixels.length; i++) pixels[i] = rgba[i * 4 + 3];
      return { pixels, width, height };
    },
    clear() {
      g.clearRect(0, 0, canvas.width, canvas.height);
      pad.hasInk = false;
      pad.version += 1;
    },
  };
  return pad;
}

// Mouse, touch and pen: one pointer draws at a time; touch never scrolls the page.
function listenPointer(canvas, cursor, pad, { onInk, onStroke }) {
  let active = null;
  let last = null;
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
  };
  canvas.addEventListener("pointerdown", (e) => {
    if (active !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    active = e.pointerId;
    canvas.setPointerCapture(e.pointerId);
    canvas.dataset.input = "pointer";
    cursor.hidden = true;
    last = point(e);
    pad.dot(last);
    onInk();
    e.preventDefault();
    canvas.focus({ preventScroll: true });
  });
  canvas.addEventListener("pointermove", (e) => {
    if (e.pointerId !== active) return;
    const moves = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const m of moves.length ? moves : [e]) {
      const p = point(m);
      pad.line(last, p);
      last = p;
    }
    onInk();
  });
  const end = (e) => {
    if (e.pointerId !== active) return;
    active = null;
    onStroke("pointer");
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("touchstart", (e) => e.preventDefault(), { passive: false });
  canvas.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });
}

const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

// The keyboard cursor: shown when the canvas has keyboard focus; returns {penUp()}.
function listenKeyboard(canvas, cursor, penState, pad, { onInk, onStroke, onKey }) {
  const keyboard = { x: canvas.width / 2, y: canvas.height / 2, down: false };
  const place = () => {
    cursor.style.left = `${(keyboard.x / canvas.width) * 100}%`;
    cursor.style.top = `${(keyboard.y / canvas.height) * 100}%`;
    cursor.classList.toggle("down", keyboard.down);
    penState.textContent = keyboard.down ? "Pen down: the arrow keys draw." : "";
  };
  const penUp = () => {
    keyboard.down = false;
    place();
  };
  canvas.addEventListener("focus", () => {
    if (canvas.dataset.input !== "pointer" && canvas.matches(":focus-visible")) {
      cursor.hidden = false;
      place();
    }
  });
  canvas.addEventListener("blur", () => {
    delete canvas.dataset.input;
    cursor.hidden = true;
    penUp();
  });
  canvas.addEventListener("keydown", (e) => {
    const move = MOVES[e.key];
    if (move) {
      const step = KEY_STEP * (e.shiftKey ? 3 : 1);
      const from = { x: keyboard.x, y: keyboard.y };
      const half = LINE_WIDTH / 2;
      keyboard.x = Math.min(canvas.width - half, Math.max(half, keyboard.x + move[0] * step));
      keyboard.y = Math.min(canvas.height - half, Math.max(half, keyboard.y + move[1] * step));
      if (keyboard.down) {
        pad.line(from, keyboard);
        onInk();
      }
    } else if (e.key === " " || e.key === "Spacebar") {
      keyboard.down = !keyboard.down;
      if (keyboard.down) {
        pad.dot(keyboard);
        onInk();
      } else {
        onStroke("keyboard");
      }
    } else if (e.key === "Escape" && keyboard.down) {
      keyboard.down = false;
    } else if (!onKey(e)) {
      return;
    }
    e.preventDefault();
    canvas.dataset.input = "keyboard";
    cursor.hidden = false;
    place();
  });
  return { penUp };
}
