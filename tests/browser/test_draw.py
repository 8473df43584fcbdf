"""Drawing digits with a mouse, a finger and the keyboard, and clearing them."""

from __future__ import annotations

import digits
from conftest import draw_strokes, wait_ready

PREDICTION = "[data-testid=prediction]"
CANVAS = "[data-testid=draw-canvas]"


def wait_prediction(pg, timeout=20_000) -> str:
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=prediction]').textContent !== ''",
        timeout=timeout,
    )
    return pg.inner_text(PREDICTION)


def settled_prediction(pg) -> str:
    """The prediction once the answer for the finished drawing has arrived (announced)."""
    pg.wait_for_function(
        "() => document.querySelector('#announce').textContent.startsWith('Prediction')",
        timeout=20_000,
    )
    return pg.inner_text(PREDICTION)


def predictions_finished(pg) -> int:
    """The page's count of finished predictions (body[data-predictions])."""
    return int(pg.evaluate("() => document.body.dataset.predictions"))


def wait_predictions_settled(pg, after: int = -1, timeout=20_000) -> None:
    """Wait until no prediction is asked for or on its way and more than ``after`` finished."""
    pg.wait_for_function(
        """n => document.body.dataset.predicting === 'false'
                && Number(document.body.dataset.predictions) > n""",
        arg=after,
        timeout=timeout,
    )


def ink_on_canvas(pg) -> int:
    return pg.evaluate(
        """() => { const c = document.querySelector('[data-testid=draw-canvas]');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let s = 0; for (let i = 3; i < d.length; i += 4) s += d[i]; return s; }"""
    )


def test_real_digits_of_every_class_are_recognised(page):
    right, seen, times = 0, [], []
    for _index, label, strokes in digits.first_of_each_class():
        page.click("[data-testid=clear]")
        page.evaluate("() => { document.querySelector('#announce').textContent = ''; }")
        draw_strokes(page, strokes)
        shown = settled_prediction(page)
        seen.append((label, shown))
        right += shown == str(label)
        times.append(float(page.get_attribute("#timing", "data-round-trip-ms")))
    assert right >= 9, f"(label, prediction) pairs: {seen}"
    times.sort()
    median = times[len(times) // 2]
    print(f"draw-to-prediction round trip: median {median:.1f} ms, max {times[-1]:.1f} ms")
    assert median < 50


def test_the_answer_follows_the_pen_and_is_there_when_it_lifts(page):
    """While the pen moves the network reads the ink as it is; when the pen rests and then
    lifts, the answer for the final ink is on screen already: it is announced at once and not
    asked for again."""
    label, strokes = digits.digit(3)
    *first, last = strokes
    draw_strokes(page, first)
    box = page.locator(CANVAS).bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"] / 28, box["y"] + y * box["height"] / 28)  # noqa: E731
    before = predictions_finished(page)
    page.mouse.move(*at(*last[0]))
    page.mouse.down()
    for x, y in last[1:]:
        page.mouse.move(*at(x, y), steps=4)
    # The pen rests on the canvas: the answer for the ink as it is arrives before the pen lifts.
    page.evaluate("() => { document.querySelector('#announce').textContent = ''; }")
    wait_predictions_settled(page, after=before)
    assert predictions_finished(page) >= before + 2, "answers came while the pen moved"
    shown = page.inner_text(PREDICTION)
    assert shown != ""
    assert page.inner_text("#announce") == "", "nothing announced while drawing"
    answered = predictions_finished(page)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelector('#announce').textContent.startsWith('Prediction')",
        timeout=2_000,
    )
    assert page.inner_text("#announce").startswith(f"Prediction: {shown},")
    page.wait_for_timeout(300)
    assert predictions_finished(page) == answered, "the same ink was not sent again"
    assert page.evaluate("() => document.body.dataset.predicting") == "false"
    assert page.inner_text(PREDICTION) == shown


def test_clear_button_empties_the_prediction_and_the_canvas(page):
    label, strokes = digits.digit(3)
    draw_strokes(page, strokes)
    wait_prediction(page)
    assert ink_on_canvas(page) > 0
    page.click("[data-testid=clear]")
    assert page.inner_text(PREDICTION) == ""
    assert ink_on_canvas(page) == 0
    # No late answer for the old drawing brings the prediction back: once every prediction asked
    # for has come back, the prediction is still empty.
    wait_predictions_settled(page)
    assert page.inner_text(PREDICTION) == ""


def test_delete_key_clears_the_drawing(page):
    label, strokes = digits.digit(4)
    draw_strokes(page, strokes)
    wait_prediction(page)
    # Drawing puts the focus on the canvas; Delete clears it, as does Backspace.
    assert page.evaluate("() => document.activeElement.dataset.testid") == "draw-canvas"
    page.keyboard.press("Delete")
    assert page.inner_text(PREDICTION) == ""
    assert ink_on_canvas(page) == 0
    draw_strokes(page, strokes)
    wait_prediction(page)
    page.keyboard.press("Backspace")
    assert page.inner_text(PREDICTION) == ""


def touch(cdp, kind, x=None, y=None):
    """One touch event through the DevTools protocol, as a finger on a touch screen makes it."""
    points = [] if x is None else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def test_touch_drawing_works_and_does_not_scroll_the_page(chromium, site):
    context = chromium.new_context(
        viewport={"width": 390, "height": 640},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    try:
        pg = context.new_page()
        pg.goto(site + "/")
        wait_ready(pg)
        canvas = pg.locator(CANVAS)
        canvas.scroll_into_view_if_needed()
        scrollable = pg.evaluate("() => document.documentElement.scrollHeight > innerHeight")
        assert scrollable, (
            "the page should be taller than the screen for this test to mean anything"
        )
        before = pg.evaluate("() => scrollY")
        box = canvas.bounding_box()
        sx, sy = box["width"] / 28, box["height"] / 28
        cdp = context.new_cdp_session(pg)
        label, strokes = digits.digit(7)
        for stroke in strokes:
            points = [(box["x"] + x * sx, box["y"] + y * sy) for x, y in stroke]
            (x0, y0), (x1, y1) = points[0], points[-1]
            touch(cdp, "touchStart", x0, y0)
            for k in range(1, 4):
                x, y = x0 + (x1 - x0) * k / 3, y0 + (y1 - y0) * k / 3
                touch(cdp, "touchMove", x, y)
            touch(cdp, "touchEnd")
        # A vertical swipe that starts on the canvas draws instead of scrolling.
        finished = predictions_finished(pg)
        mid_x, top = box["x"] + box["width"] / 2, box["y"] + 10
        touch(cdp, "touchStart", mid_x, top + 200)
        touch(cdp, "touchMove", mid_x, top + 100)
        touch(cdp, "touchMove", mid_x, top)
        touch(cdp, "touchEnd")
        # The swipe's stroke has been classified, so the page has handled all of it.
        wait_predictions_settled(pg, after=finished)
        assert pg.evaluate("() => scrollY") == before
        assert ink_on_canvas(pg) > 0
        wait_prediction(pg)
        # The digit alone (cleared and redrawn) is read correctly from touch input.
        pg.tap("[data-testid=clear]")  # may scroll the button into view: measure again after it
        pg.evaluate("() => { document.querySelector('#announce').textContent = ''; }")
        before = pg.evaluate("() => scrollY")
        box = canvas.bounding_box()
        for stroke in strokes:
            (x0, y0), (x1, y1) = [(box["x"] + x * sx, box["y"] + y * sy) for x, y in stroke]
            touch(cdp, "touchStart", x0, y0)
            touch(cdp, "touchMove", (x0 + x1) / 2, y0)
            touch(cdp, "touchMove", x1, y1)
            touch(cdp, "touchEnd")
        assert settled_prediction(pg) == str(label)
        assert pg.evaluate("() => scrollY") == before
    finally:
        context.close()


def test_keyboard_drawing_with_arrow_keys_space_and_enter(page):
    # Reach the canvas with Tab, as a keyboard user would.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.testid") == "draw-canvas":
            break
    else:
        raise AssertionError("the drawing canvas cannot be reached with Tab")
    assert page.is_visible("#kbd-cursor")
    # A "1": go up, put the pen down, draw straight down, lift the pen, classify.
    for _ in range(9):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Space")
    assert "Pen down" in page.inner_text("#pen-state")
    for _ in range(18):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    assert settled_prediction(page) == "1"
    assert ink_on_canvas(page) > 0
    page.keyboard.press("Delete")
    assert page.inner_text(PREDICTION) == ""
    assert ink_on_canvas(page) == 0
