// Small view helpers shared by the panels: element creation, images, numbers, colours.

/** Create an element: el("button", {class: "button", onclick}, "Text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

/** Show a message in an error element (or hide it when the message is empty). */
export function showError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

export function percent(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return `${(value * 100).toFixed(digits)}%`;
}

// Number formatters are costly to create, so each is made once (at start-up, not mid-training).
const FORMATS = [0, 1, 2, 3].map((digits) => new Intl.NumberFormat("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits }));

export function number(value, digits = 0) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return (FORMATS[digits] || FORMATS[0]).format(value);
}

export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "784 → 128 → 10" from a list of layer sizes. */
export function sizesText(sizes) {
  return (sizes || []).join(" → ");
}

/** Paint a grey image (values 0..1, white ink on black, as the network sees it) into a canvas. */
export function paintGrey(canvas, values, width = 28, height = 28) {
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  const image = g.createImageData(width, height);
  const scale = values instanceof Uint8Array ? 1 : 255;
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round((values[i] || 0) * scale)));
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  g.putImageData(image, 0, 0);
  return canvas;
}

/** A small canvas showing one 28x28 digit. */
export function digitCanvas(values, label) {
  const canvas = el("canvas", { class: "digit pixelated", role: "img", "aria-label": label });
  return paintGrey(canvas, values);
}

// A diverging scale that stays readable with red-green colour blindness: purple, white, orange
// (ColorBrewer PuOr end points).
const NEGATIVE = [94, 60, 153];
const ZERO = [247, 247, 247];
const POSITIVE = [230, 97, 1];

/** RGB for t in [-1, 1] on the purple-white-orange scale. */
export function diverging(t) {
  const c = Math.max(-1, Math.min(1, t));
  const end = c < 0 ? NEGATIVE : POSITIVE;
  const f = Math.abs(c);
  return [0, 1, 2].map((k) => Math.round(ZERO[k] + (end[k] - ZERO[k]) * f));
}

/** Call fn at most once per `ms`, always with the latest arguments (trailing call kept). */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  let args = null;
  return (...latest) => {
    args = latest;
    const wait = last + ms - performance.now();
    if (wait <= 0 && !timer) {
      last = performance.now();
      fn(...args);
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = performance.now();
        fn(...args);
      }, Math.max(0, wait));
    }
  };
}

/** Offer bytes to the browser as a downloaded file. */
export function downloadBytes(bytes, filename) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A readable message from anything thrown. */
export function messageOf(err) {
  return (err && err.message) || String(err);
}
