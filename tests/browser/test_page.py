"""The page shell: loading, readiness, views and their URLs, load errors and worker crashes."""

from __future__ import annotations

import digits
from conftest import READY_TIMEOUT_MS, draw_strokes, wait_ready

VIEWS = ["draw", "train", "inspect", "models"]
# When each view has its content: the layout is measured after that, not after a delay.
VIEW_FILLED = {
    "draw": "() => document.body.dataset.predicting === 'false'",
    "train": "() => document.querySelector('#f-hidden') !== null",
    "inspect": """() => document.querySelector('#accuracy').dataset.accuracy !== undefined
                 && document.querySelectorAll('#mistakes figure').length > 0
                 && document.querySelector('#weights-shape').textContent !== ''""",
    "models": "() => document.querySelector('#model-info').dataset.sizes !== undefined",
}
LESSONS = ["neuron", "network", "mse", "weight-height", "mnist-784-10-10"]


def wait_settled(pg, timeout=READY_TIMEOUT_MS) -> str:
    pg.wait_for_function("() => document.body.dataset.ready !== 'false'", timeout=timeout)
    return pg.evaluate("() => document.body.dataset.ready")


def wait_prediction(pg, timeout=20_000) -> str:
    """The answer for the finished drawing (not one asked for while it was being drawn)."""
    pg.wait_for_function(
        """() => document.querySelector('[data-testid=prediction]').textContent !== ''
                 && document.body.dataset.predicting === 'false'""",
        timeout=timeout,
    )
    return pg.inner_text("[data-testid=prediction]")


def test_page_becomes_ready_with_the_canvas_on_the_landing_view(page):
    assert page.evaluate("() => document.body.dataset.ready") == "true"
    assert page.is_visible("[data-testid=draw-canvas]")
    assert page.get_attribute("[data-nav=draw]", "aria-current") == "page"
    assert page.inner_text("[data-testid=prediction]") == ""
    footer = page.inner_text("footer")
    assert "NumPy 2.0.2" in footer and "Pyodide 0.27.7" in footer
    assert not page.is_visible("#boot")
    assert page.errors == []


def test_a_real_held_out_digit_drawn_with_the_mouse_is_recognised(page):
    label, strokes = digits.digit(0)
    draw_strokes(page, strokes)
    assert wait_prediction(page) == str(label)
    page.wait_for_function(
        "() => document.querySelector('#announce').textContent.startsWith('Prediction')"
    )
    assert page.inner_text("#announce").startswith(f"Prediction: {label}, ")
    # "What the network sees" shows the preprocessed 28x28 image, which has ink.
    ink = page.evaluate(
        """() => { const c = document.querySelector('#seen');
                   const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
                   let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; }"""
    )
    assert ink > 0
    timing = page.locator("#timing")
    assert "ms" in timing.inner_text()
    assert float(timing.get_attribute("data-round-trip-ms")) < 500


def test_every_lesson_has_one_link_on_every_view(page, site):
    for view in VIEWS:
        page.goto(f"{site}/#/{view}")
        for name in LESSONS:
            link = page.locator(f"[data-testid=lesson-{name}]")
            assert link.count() == 1
            assert link.is_visible()
            assert link.get_attribute("href") == f"#/step/lesson/{name}"


def test_views_have_their_own_urls_and_the_tabs_work_with_the_keyboard(page, site):
    page.goto(f"{site}/#/inspect")
    assert page.is_visible("#view-inspect") and not page.is_visible("#view-draw")
    assert page.get_attribute("[data-nav=inspect]", "aria-current") == "page"
    page.focus("[data-nav=train]")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#/train'")
    assert page.is_visible("#view-train") and not page.is_visible("#view-inspect")
    assert page.get_attribute("[data-nav=train]", "aria-current") == "page"
    assert page.get_attribute("[data-nav=inspect]", "aria-current") is None
    page.go_back()
    page.wait_for_function("() => !document.querySelector('#view-inspect').hidden")


def test_skip_link_is_first_and_moves_focus_to_the_content(page):
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    assert page.is_visible(".skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_narrow_screen_has_no_horizontal_scroll(context, site):
    pg = context.new_page()
    pg.set_viewport_size({"width": 320, "height": 640})
    pg.goto(site + "/")
    wait_ready(pg)
    box = pg.locator("[data-testid=draw-canvas]").bounding_box()
    assert 200 <= box["width"] <= 300
    for view in VIEWS:
        pg.goto(f"{site}/#/{view}")
        pg.wait_for_function(f"() => !document.querySelector('#view-{view}').hidden")
        pg.wait_for_function(VIEW_FILLED[view], timeout=30_000)
        width = pg.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"#/{view} is {width}px wide at 320px"


def test_a_missing_model_file_is_reported_with_retry(context, site):
    context.route("**/models/default.npz", lambda route: route.fulfill(status=404, body="not here"))
    pg = context.new_page()
    pg.goto(site + "/")
    assert wait_settled(pg) == "error"
    assert pg.is_visible("#fatal")
    message = pg.inner_text("#fatal")
    assert "pretrained model" in message and "404" in message
    assert pg.is_visible("#retry")
    # Once the file is back, Retry brings the page up without a reload.
    context.unroute("**/models/default.npz")
    pg.click("#retry")
    wait_ready(pg)
    assert not pg.is_visible("#fatal")


def test_a_truncated_model_file_is_reported_not_a_hang(context, site, tmp_path):
    whole = (digits.DATA.parent.parent / "models" / "default.npz").read_bytes()
    context.route(
        "**/models/default.npz",
        lambda route: route.fulfill(
            status=200, body=whole[: len(whole) // 3], content_type="application/octet-stream"
        ),
    )
    pg = context.new_page()
    pg.goto(site + "/")
    assert wait_settled(pg) == "error"
    message = pg.inner_text("#fatal-message")
    assert "could not be read" in message
    assert "Traceback" not in message
    assert pg.is_visible("#retry")


def test_a_crashed_worker_is_reported_and_retry_restarts_it(context, site):
    context.route(
        "**/js/worker.js",
        lambda route: route.fulfill(
            status=200, body="throw new Error('simulated crash');", content_type="text/javascript"
        ),
    )
    pg = context.new_page()
    pg.goto(site + "/")
    assert wait_settled(pg) == "error"
    assert "stopped unexpectedly" in pg.inner_text("#fatal-message")
    retry = pg.locator("#retry")
    assert retry.is_visible()
    context.unroute("**/js/worker.js")
    retry.click()
    wait_ready(pg)
    label, strokes = digits.digit(1)
    draw_strokes(pg, strokes)
    assert wait_prediction(pg) == str(label)


def test_a_damaged_runtime_package_is_refused_by_its_checksum(context, site):
    wheel = next((digits.DATA.parent.parent / "pyodide").glob("pycore-*.whl"))
    damaged = bytearray(wheel.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    context.route(
        f"**/pyodide/{wheel.name}",
        lambda route: route.fulfill(
            status=200, body=bytes(damaged), content_type="application/zip"
        ),
    )
    pg = context.new_page()
    pg.goto(site + "/")
    assert wait_settled(pg) == "error"
    assert "damaged" in pg.inner_text("#fatal-message")
    assert pg.is_visible("#retry")


def test_a_worker_that_dies_after_start_up_is_reported_and_retry_restores_it(page):
    label, strokes = digits.digit(2)
    draw_strokes(page, strokes)
    assert wait_prediction(page) == str(label)
    worker = next(w for w in page.workers if w.url.endswith("/js/worker.js"))
    # An uncaught error inside the worker, as a bug or an out-of-memory abort would raise.
    worker.evaluate("() => { setTimeout(() => { throw new Error('simulated failure'); }); }")
    assert wait_settled_to(page, "error") == "error"
    assert "stopped unexpectedly" in page.inner_text("#fatal-message")
    # The page still works as a page: the drawing is kept and the Retry button restarts Python.
    page.click("#retry")
    wait_ready(page)
    page.click("[data-testid=clear]")
    draw_strokes(page, strokes)
    assert wait_prediction(page) == str(label)


def wait_settled_to(pg, state, timeout=20_000) -> str:
    pg.wait_for_function("s => document.body.dataset.ready === s", arg=state, timeout=timeout)
    return pg.evaluate("() => document.body.dataset.ready")
