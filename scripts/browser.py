"""Find a Chromium for Playwright: $CHROMIUM, Debian's package, or Playwright's own download.

Prints the path of the executable to use (empty when Playwright's own browser should be used) and
exits 1 when none is found. The tests and the benchmarks import ``launch_args``.
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


if __name__ == "__main__":
    path = executable()
    if path:
        print(path)
    elif not playwright_has_own():
        sys.exit(1)
