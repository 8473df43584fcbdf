"""How well do networks read digits drawn the way people write? Stroke-template drawings.

    python scripts/bench_handwriting.py                       # the shipped model, in CPython
    python scripts/bench_handwriting.py --models a.npz b.npz  # several models side by side
    python scripts/bench_handwriting.py --page                # drawn into the served page
    python scripts/bench_handwriting.py --page --models cnn.npz  # uploaded first, then drawn

The drawings come from scripts/handwriting.py (hand-made stroke templates of the ways people
write each digit, varied in slant, rotation, size, placement, wobble and pen width; not derived
from MNIST). In CPython each drawing is rasterised with a round pen and sent through pycore's
``to_mnist`` and each model. With ``--page`` each drawing is traced with the mouse into the real
page (built dist/, headless Chromium; the page's pen is 20 px, wider pens are traced as parallel
passes) and the page's prediction is read, which measures the whole path a visitor's drawing
takes. Prints the accuracy per class and the most frequent confusions.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from handwriting import drawings, page_strokes, rasterise  # noqa: E402

from pycore.modelfile import load  # noqa: E402
from pycore.preprocess import to_mnist  # noqa: E402


def report(name: str, labels: np.ndarray, predicted: np.ndarray, styles: list[str]) -> None:
    per_class = [np.mean(predicted[labels == c] == c) for c in range(10)]
    print(f"{name}: {np.mean(predicted == labels):.1%} on {labels.size} drawings")
    print("  per class: " + "  ".join(f"{c}:{a:.0%}" for c, a in enumerate(per_class)))
    misses = Counter(
        (int(y), s, int(p)) for y, s, p in zip(labels, styles, predicted, strict=True) if y != p
    )
    if misses:
        top = ", ".join(f"{y} ({s}) as {p} x{n}" for (y, s, p), n in misses.most_common(6))
        print(f"  most frequent misses: {top}")


def in_python(models: list[Path], sample: list[dict]) -> None:
    images = np.stack([to_mnist(rasterise(d)) for d in sample])
    labels = np.array([d["label"] for d in sample])
    styles = [d["style"] for d in sample]
    for path in models:
        net, _ = load(path)
        report(f"{path.name} {net}", labels, net.predict(images), styles)


def in_page(sample: list[dict], model: Path | None) -> None:
    import browser
    import serve
    from playwright.sync_api import sync_playwright

    server = serve.start(ROOT / "dist")
    predicted = []
    with sync_playwright() as p:
        b = p.chromium.launch(headless=True, **browser.launch_args())
        pg = b.new_page(viewport={"width": 1280, "height": 900})
        pg.goto(server.url + "/")
        pg.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=120_000)
        if model is not None:  # loaded through the Models panel, as a person would
            pg.goto(server.url + "/#/models")
            pg.set_input_files("#model-upload", str(model))
            pg.wait_for_function(
                "() => /Loaded/.test(document.querySelector('#models-message').textContent)",
                timeout=60_000,
            )
            pg.goto(server.url + "/#/draw")
        for d in sample:
            pg.click("[data-testid=clear]")
            before = pg.evaluate("() => Number(document.body.dataset.predictions || 0)")
            browser.draw_strokes(pg, page_strokes(d), size=280)
            # The answer for the finished drawing: nothing asked for or on its way any more.
            pg.wait_for_function(
                "(n) => document.body.dataset.predicting === 'false'"
                " && Number(document.body.dataset.predictions) > n",
                arg=before,
                timeout=20_000,
            )
            predicted.append(int(pg.inner_text("[data-testid=prediction]")))
        b.close()
    server.shutdown()
    labels = np.array([d["label"] for d in sample])
    name = model.name if model is not None else "the pretrained network"
    styles = [d["style"] for d in sample]
    report(f"{name} in the page (mouse drawings)", labels, np.array(predicted), styles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", type=Path, nargs="*", default=[ROOT / "dist/models/default.npz"]
    )
    parser.add_argument("--n", type=int, default=300, help="drawings (the digits in turn)")
    parser.add_argument("--seed", type=int, default=0, help="which set; report several seeds")
    parser.add_argument("--page", action="store_true", help="draw into the served page")
    args = parser.parse_args()
    sample = drawings(args.n, args.seed)
    if args.page:
        default = ROOT / "dist/models/default.npz"
        for path in args.models:
            in_page(sample, None if path == default else path)
    else:
        in_python(args.models, sample)


if __name__ == "__main__":
    main()
