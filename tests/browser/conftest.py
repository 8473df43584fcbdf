"""Fixtures for the browser tests: the built site served on a free port, and Chromium.

Every test here drives the real page in headless Chromium (Debian's package, or Playwright's own
browser). The tests need dist/ (``make site``); without it they fail rather than skip, because a
browser test that silently does not run proves nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# PYCORE_DIST points the tests at another build of the site (default: dist/).
DIST = Path(os.environ.get("PYCORE_DIST", ROOT / "dist"))
sys.path.insert(0, str(ROOT / "scripts"))
# The browser tests import their helpers by plain name (`from conftest import`, `import digits`).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

import browser  # noqa: E402
import serve  # noqa: E402
from browser import draw_strokes  # noqa: E402, F401  (the tests import it from here)

pytestmark = pytest.mark.browser
READY_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site():
    if not (DIST / "index.html").exists():
        pytest.fail("dist/ is not built; run `make site` first")
    server = serve.start(DIST)
    yield server.url
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(headless=True, **browser.launch_args())
        yield b
        b.close()


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, site):
    """A fresh page on the site, already ready (body[data-ready=true]), with errors collected."""
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(site + "/")
    wait_ready(pg)
    return pg


def wait_ready(pg, timeout: float = READY_TIMEOUT_MS) -> None:
    # Always pass functions ("() => ..."): a bare expression is run with eval, which the page's
    # Content-Security-Policy forbids.
    pg.wait_for_function(
        "() => document.body.dataset.ready === 'true' || document.body.dataset.ready === 'error'",
        timeout=timeout,
    )
    state = pg.evaluate("() => document.body.dataset.ready")
    assert state == "true", f"page did not become ready: {pg.inner_text('body')[:500]}"
