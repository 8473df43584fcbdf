"""The ways into the step-through, walked with the keyboard: "Step through this drawing" on Draw,
a mistake and a confusion-matrix cell in Inspect, a thumbnail in My digits.
"""

from __future__ import annotations

from conftest import draw_strokes, wait_ready
from digits import first_of_each_class
from test_a11y import _draw_a_one_with_the_keyboard, _tab_to


def _opened(pg, about: str) -> None:
    pg.wait_for_function(
        "(a) => (document.querySelector('#view-step .step-about')?.textContent || '').includes(a)",
        arg=about,
        timeout=60_000,
    )


def test_draw_to_step_through_with_the_keyboard(page):
    pg = page
    _tab_to(pg, "[data-testid=draw-canvas]")
    _draw_a_one_with_the_keyboard(pg)
    pg.keyboard.press("Enter")
    pg.wait_for_function(
        "() => /^[0-9]$/.test(document.querySelector('[data-testid=prediction]').textContent)"
    )
    _tab_to(pg, "[data-testid=step-drawing]")
    pg.keyboard.press("Enter")
    _opened(pg, "your drawing")
    assert "#/step/drawing" in pg.url


def test_inspect_mistake_and_confusion_cell_open_their_digit(page):
    pg = page
    pg.goto(pg.url.split("#")[0] + "#/inspect")
    pg.click("#evaluate")
    pg.wait_for_selector("[data-testid=mistake-step]", timeout=60_000)
    link = pg.locator("[data-testid=mistake-step]").first
    index = link.get_attribute("href").rsplit("/", 1)[1]
    _tab_to(pg, "[data-testid=mistake-step]", limit=400)
    pg.keyboard.press("Enter")
    _opened(pg, f"digit #{index}")
    # A cell of the confusion matrix: its digits each open in the step-through.
    pg.go_back()
    pg.wait_for_selector("table.confusion button", timeout=20_000)
    pg.locator("table.confusion button").nth(1).focus()
    pg.keyboard.press("Enter")
    cell = pg.locator("[data-testid=cell-step]")
    if cell.count():
        index = cell.first.get_attribute("href").rsplit("/", 1)[1]
        _tab_to(pg, "[data-testid=cell-step]", limit=400)
        pg.keyboard.press("Enter")
        _opened(pg, f"digit #{index}")


def test_my_digits_thumbnail_opens_with_its_label(page):
    pg = page
    pg.goto(pg.url.split("#")[0] + "#/mine")
    pg.wait_for_selector("#view-mine[data-loaded=true]", state="attached", timeout=20_000)
    _, label, strokes = first_of_each_class()[3]
    draw_strokes(pg, strokes, selector="[data-testid=mine-canvas]")
    pg.click(f"[data-testid=label-{label}]")
    pg.wait_for_selector("[data-testid=mine-step]", timeout=20_000)
    _tab_to(pg, "[data-testid=mine-step]")
    pg.keyboard.press("Enter")
    _opened(pg, f"labelled {label}")
    assert "#/step/mine/" in pg.url
    wait_ready(pg)
