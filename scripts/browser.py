"""Find a Chromium for Playwright: $CHROMIUM, Debian's package, or Playwright's own download.

Prints the path of the executable to use (empty when Playwright's own browser should be used) and
exits 1 when none is found. The tests, the benchmarks and the screenshot import ``launch_args``,
and draw real digits on the page with ``strokes_for`` and ``draw_strokes``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def executable() -> str | None:
    """A Chromium executable, or None when Playwright's bundled browser is installed."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


def playwright_has_own() -> bool:
    cache = Path(
        os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright")
    )
    return any(cache.glob("chromium*"))


def launch_args() -> dict:
    """Keyword arguments for ``playwright.chromium.launch``."""
    path = executable()
    return {"executable_path": path, "args": ARGS} if path else {"args": ARGS}


def strokes_for(pixels, threshold: int = 127) -> list[list[tuple[float, float]]]:
    """Horizontal strokes through the inked pixels, in 28x28 image coordinates (pixel centres).

    A digit's pixels brighter than ``threshold`` are joined into runs, row by row; each run is
    one stroke, which is how a person would trace it with a thick pen.
    """
    import numpy as np

    image = np.asarray(pixels).reshape(28, 28)
    strokes = []
    for row in range(28):
        ink = image[row] > threshold
        col = 0
        while col < 28:
            if ink[col]:
                start = col
                while col < 28 and ink[col]:
                    col += 1
                y = row + 0.5
                strokes.append([(start + 0.5, y), (col - 0.5, y)])
            else:
                col += 1
    return strokes


def draw_strokes(
    pg, strokes, selector="[data-testid=draw-canvas]", size=28, every: float = 0.0
) -> None:
    """Draw polylines in ``size`` x ``size`` image coordinates onto a canvas with the mouse.

    By default the mouse moves as fast as the browser takes the events. With ``every`` (seconds)
    it moves like a hand: one move per ``every`` (1/60 is a 60 Hz pointer, the rate Chromium
    hands pointer moves to the page), and the button is released ``every`` after the last move.
    """
    import time

    box = pg.locator(selector).bounding_box()
    sx, sy = box["width"] / size, box["height"] / size
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        pg.mouse.move(box["x"] + x0 * sx, box["y"] + y0 * sy)
        pg.mouse.down()
        for x, y in rest:
            pg.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=1 if every else 2)
            time.sleep(every)
        pg.mouse.up()


if __name__ == "__main__":
    path = executable()
    if path:
        print(path)
    elif not playwright_has_own():
        sys.exit(1)


def wait_async(pg, function: str, arg=None, timeout: float = 30.0, every: float = 0.25):
    """Call an async page function until it resolves to something truthy, and return that.

    Playwright's wait_for_function does not wait for a promise the function returns: a promise
    is truthy, so an async predicate would pass at once. Raises TimeoutError after ``timeout`` s.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = pg.evaluate(function, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout:.0f} s: {function.strip()[:80]}")
        time.sleep(every)
