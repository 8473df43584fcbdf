"""Accessibility: an axe-core audit of every view, and the whole path done with the keyboard only.

axe-core comes from npm (node_modules/axe-core, vendored by setup). The page's CSP rightly refuses
injected scripts, so the audit runs in a context that bypasses CSP; the rest is the real page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import draw_strokes, wait_ready
from digits import first_of_each_class

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def _prepare(pg, view: str) -> None:
    """Bring a view into a state with content worth auditing."""
    if view.startswith("#/step"):
        pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
    elif view == "#/mine":
        pg.wait_for_selector("#view-mine[data-loaded=true]", state="attached", timeout=20_000)
        _, label, strokes = first_of_each_class()[3]
        draw_strokes(pg, strokes, selector="[data-testid=mine-canvas]")
        pg.click(f"[data-testid=label-{label}]")
        pg.wait_for_function(
            "() => document.querySelector('[data-testid=mine-grid]').dataset.count === '1'"
        )
    elif view == "#/check":
        pg.click("[data-testid=selfcheck-run]")
        pg.wait_for_function(
            "() => document.querySelector('[data-testid=selfcheck-summary]').dataset.passed",
            timeout=60_000,
        )
    elif view == "#/inspect":
        pg.click("#evaluate")
        pg.wait_for_function(
            "() => document.querySelector('[data-testid=accuracy]').textContent.trim() !== ''",
            timeout=60_000,
        )
    elif view == "#/draw":
        _, _, strokes = first_of_each_class()[7]
        draw_strokes(pg, strokes)
        pg.wait_for_function(
            "() => document.querySelector('[data-testid=prediction]').textContent !== ''",
            timeout=20_000,
        )
    elif view == "#/train":
        pg.wait_for_selector("#f-hidden", state="attached")
    elif view == "#/models":
        pg.wait_for_function("() => document.querySelector('#model-info').dataset.sizes")


VIEWS = [
    "#/draw",
    "#/train",
    "#/inspect",
    "#/models",
    "#/step/lesson/network",
    "#/step/digit/0",
    "#/mine",
    "#/check",
]


@pytest.fixture(scope="module")
def audit_page(chromium, site):
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    pg = ctx.new_page()
    pg.goto(site + "/")
    wait_ready(pg)
    yield pg
    ctx.close()


@pytest.mark.parametrize("view", VIEWS)
def test_axe_finds_no_serious_or_critical_violations(audit_page, view):
    pg = audit_page
    pg.goto(pg.url.split("#")[0] + view)
    _prepare(pg, view)
    if not pg.evaluate("() => typeof axe !== 'undefined'"):
        pg.add_script_tag(path=str(AXE))
    violations = pg.evaluate(RUN_AXE)
    for v in violations:
        print(f"{view}: [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"]:
            print(f"    {node}")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{view}: " + "; ".join(f"{v['id']} ({v['impact']})" for v in bad)


def _tab_to(pg, selector: str, key: str = "Tab", limit: int = 120) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    for _ in range(limit):
        if pg.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        pg.keyboard.press(key)
    raise AssertionError(f"{key} never reached {selector}")


def _focus_visible(pg) -> bool:
    return pg.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return e.matches(':focus-visible') && s.outlineStyle !== 'none'"
        " && parseFloat(s.outlineWidth) >= 2; }"
    )


def _draw_a_one_with_the_keyboard(pg) -> None:
    """A "1" with the keyboard cursor: up to the top, pen down, a line downwards, pen up."""
    for _ in range(8):
        pg.keyboard.press("ArrowUp")
    pg.keyboard.press("Space")
    for _ in range(16):
        pg.keyboard.press("ArrowDown")
    pg.keyboard.press("Space")


def test_keyboard_only_draw_predict_train_and_step_through(page):
    pg = page
    _tab_to(pg, "[data-testid=draw-canvas]")
    assert _focus_visible(pg)
    _draw_a_one_with_the_keyboard(pg)
    pg.keyboard.press("Enter")
    pg.wait_for_function(
        """() => document.body.dataset.predicting === 'false'
                 && document.querySelector('[data-testid=prediction]').textContent !== ''""",
        timeout=20_000,
    )
    assert pg.inner_text("[data-testid=prediction]") == "1"
    pg.wait_for_function(
        "() => /Prediction: 1/.test(document.querySelector('#announce').textContent)"
    )

    # To the Train tab and one batch, by keyboard.
    _tab_to(pg, "a[data-nav=train]", key="Shift+Tab")
    assert _focus_visible(pg)
    pg.keyboard.press("Enter")
    pg.wait_for_function("() => !document.querySelector('#view-train').hidden")
    _tab_to(pg, "#train-step")
    assert _focus_visible(pg)
    pg.keyboard.press("Enter")
    # The question before the run replaces the network in use takes the focus; Enter says yes.
    pg.wait_for_function("() => document.activeElement.id === 'train-confirm-yes'")
    assert _focus_visible(pg)
    pg.keyboard.press("Enter")
    pg.wait_for_function(
        "() => document.querySelector('#loss-summary').dataset.loss", timeout=30_000
    )
    assert pg.get_attribute("#train-form", "data-state") == "paused"

    # The step-through, walked with ArrowRight.
    _tab_to(pg, "[data-testid=lesson-network]", key="Shift+Tab")
    pg.keyboard.press("Enter")
    pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
    _tab_to(pg, "[data-testid=step-view]")
    assert _focus_visible(pg)
    first = pg.inner_text("[data-testid=step-view] .step-title")
    pg.keyboard.press("ArrowRight")
    pg.wait_for_function(
        "(t) => document.querySelector('[data-testid=step-view] .step-title').textContent !== t",
        arg=first,
    )
    second = pg.inner_text("[data-testid=step-view] .step-title")
    assert re.search(r"Step 1\b", first) and re.search(r"Step 2\b", second), (first, second)
    assert pg.errors == []


def test_my_digits_and_self_check_by_keyboard(page):
    pg = page
    _tab_to(pg, "a[data-nav=mine]")
    pg.keyboard.press("Enter")
    pg.wait_for_selector("#view-mine[data-loaded=true]", state="attached", timeout=20_000)
    _tab_to(pg, "[data-testid=mine-canvas]")
    assert _focus_visible(pg)
    _draw_a_one_with_the_keyboard(pg)
    pg.keyboard.press("1")  # the digit key labels the drawing
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=mine-grid]').dataset.count === '1'"
    )
    assert "Added a 1" in pg.inner_text("[data-testid=mine-status]")
    _tab_to(pg, ".mine-item .delete")
    pg.keyboard.press("Enter")
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=mine-grid]').dataset.count === '0'"
    )

    _tab_to(pg, "a[data-nav=check]", key="Shift+Tab")
    pg.keyboard.press("Enter")
    _tab_to(pg, "[data-testid=selfcheck-run]")
    pg.keyboard.press("Enter")
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=selfcheck-summary]').dataset.passed === 'true'",
        timeout=60_000,
    )
    assert pg.errors == []


@pytest.mark.parametrize("view", ["#/mine", "#/check"])
def test_my_views_fit_a_320_pixel_screen(chromium, site, view):
    ctx = chromium.new_context(viewport={"width": 320, "height": 640}, has_touch=True)
    pg = ctx.new_page()
    pg.goto(site + "/" + view)
    wait_ready(pg)
    if view == "#/check":
        pg.click("[data-testid=selfcheck-run]")
        pg.wait_for_function(
            "() => document.querySelector('[data-testid=selfcheck-summary]').dataset.passed",
            timeout=60_000,
        )
    else:
        pg.wait_for_selector("#view-mine[data-loaded=true]", state="attached")
    overflow = pg.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{view} scrolls sideways by {overflow}px at 320px"
    ctx.close()
