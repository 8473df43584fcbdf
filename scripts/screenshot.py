"""Take the README's screenshot of the page with a real held-out digit drawn on it.

    python scripts/screenshot.py [--out docs/screenshot.png] [--digit 3]

Serves dist/, opens it in headless Chromium, draws the digit's inked pixels as mouse strokes and
saves the page once the prediction has appeared.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import browser  # noqa: E402
import serve  # noqa: E402

from pycore.data import load_subset  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--digit", type=int, default=3, help="index of a held-out digit")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=860)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    test = load_subset(ROOT / "dist" / "data" / "mnist-subset.npz").test
    image = test.pixels[args.digit].reshape(28, 28)
    server = serve.start(ROOT / "dist")
    with sync_playwright() as p:
        b = p.chromium.launch(headless=True, **browser.launch_args())
        pg = b.new_page(viewport={"width": args.width, "height": args.height})
        pg.goto(server.url + "/")
        pg.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=120_000)
        browser.draw_strokes(pg, browser.strokes_for(image))
        pg.wait_for_function(
            "() => document.querySelector('[data-testid=prediction]').textContent.trim() !== ''"
        )
        pg.wait_for_timeout(500)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(args.out))
        print(f"{args.out}: digit {test.labels[args.digit]} read as", end=" ")
        print(pg.inner_text("[data-testid=prediction]").strip())
        b.close()
    server.shutdown()


if __name__ == "__main__":
    main()
