"""The step-through fits every screen: the tiny networks' diagrams at 1280 and 390 px for every
step of every lesson (no two texts meet, each inside the visible diagram), the page never wider
than the screen, and axe at 390 px on every kind of step.
"""

from __future__ import annotations

import pytest
from conftest import wait_ready
from test_a11y import AXE, RUN_AXE

DIAGRAM_LESSONS = ["neuron", "network", "mse", "weight-height"]

# Every text box of the diagram, the diagram's visible box, and the page's overflow.
GEOMETRY = """() => {
  const svg = document.querySelector('[data-testid=step-view] svg.step-diagram');
  if (!svg) return null;
  const host = svg.parentElement.getBoundingClientRect();
  const box = svg.getBoundingClientRect();
  const visible = {
    left: Math.max(box.left, host.left, 0), right: Math.min(box.right, host.right, innerWidth),
    top: box.top, bottom: box.bottom,
  };
  const texts = [...svg.querySelectorAll('text')].map((t) => {
    const r = t.getBoundingClientRect();
    return { text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  });
  const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  return { visible, texts, overflow, mode: svg.dataset.mode };
}"""


def _problems(geo) -> list[str]:
    eps = 0.5
    out = []
    v = geo["visible"]
    texts = geo["texts"]
    for t in texts:
        inside = (
            t["left"] >= v["left"] - eps
            and t["right"] <= v["right"] + eps
            and t["top"] >= v["top"] - eps
            and t["bottom"] <= v["bottom"] + eps
        )
        if not inside:
            out.append(f"outside: {t['text']!r}")
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if (
                a["left"] < b["right"] - eps
                and b["left"] < a["right"] - eps
                and a["top"] < b["bottom"] - eps
                and b["top"] < a["bottom"] - eps
            ):
                out.append(f"overlap: {a['text']!r} / {b['text']!r}")
    if geo["overflow"] > 0:
        out.append(f"page wider than the screen by {geo['overflow']} px")
    return out


def _title(pg) -> str:
    return pg.inner_text("[data-testid=step-view] .step-title")


def _walk(pg, visit) -> int:
    """Call visit() on every step from the first; returns how many steps there were."""
    pg.locator("[data-testid=step-view]").focus()
    pg.keyboard.press("Home")
    n = 0
    while True:
        n += 1
        visit()
        if pg.locator("[data-testid=step-next]").is_disabled():
            return n
        seq = pg.get_attribute("[data-testid=step-view]", "data-seq")
        pg.click("[data-testid=step-next]")
        pg.wait_for_function(
            "(s) => document.querySelector('[data-testid=step-view]').dataset.seq !== s", arg=seq
        )


@pytest.mark.parametrize("width", [1280, 390])
def test_every_diagram_text_is_inside_and_apart_at_every_step(chromium, site, width):
    ctx = chromium.new_context(viewport={"width": width, "height": 900})
    pg = ctx.new_page()
    try:
        pg.goto(site + "/#/step")
        wait_ready(pg)
        problems = []
        for lesson in DIAGRAM_LESSONS:
            for full in (False, True):
                pg.goto(f"{site}/#/step/lesson/{lesson}")
                pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
                pg.locator("[data-testid=step-full]").set_checked(full)

                def visit(lesson=lesson, full=full):
                    geo = pg.evaluate(GEOMETRY)
                    assert geo is not None, f"{lesson}: no diagram"
                    assert len(geo["texts"]) >= 4
                    for p in _problems(geo):
                        problems.append(f"{lesson} full={full} {_title(pg)} [{geo['mode']}]: {p}")

                _walk(pg, visit)
        assert problems == []
    finally:
        ctx.close()


def test_a_narrow_screen_gets_the_diagram_in_rows_and_the_wide_one_in_columns(chromium, site):
    for width, mode in [(1280, "wide"), (320, "tall")]:
        ctx = chromium.new_context(viewport={"width": width, "height": 800})
        pg = ctx.new_page()
        try:
            pg.goto(f"{site}/#/step/lesson/weight-height/0/step/11")
            wait_ready(pg)
            pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
            geo = pg.evaluate(GEOMETRY)
            assert geo["mode"] == mode
            assert _problems(geo) == []
            # The cards this step computes are highlighted.
            assert pg.locator("svg.step-diagram .card.out").count() >= 1
        finally:
            ctx.close()


def test_the_player_stays_on_screen_when_a_long_step_scrolls(chromium, site):
    ctx = chromium.new_context(viewport={"width": 390, "height": 700})
    pg = ctx.new_page()
    try:
        pg.goto(f"{site}/#/step/lesson/network/step/9")
        wait_ready(pg)
        pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
        pg.locator("[data-testid=step-source]").scroll_into_view_if_needed()
        box = pg.locator("[data-testid=step-next]").bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 700
        pg.click("[data-testid=step-next]")
        assert "Step 10 of" in _title(pg)
    finally:
        ctx.close()


# One URL per kind of step: the tiny network's and the MNIST network's.
STEP_KINDS = {
    "#/step/lesson/network/step/1": "weighted sums",
    "#/step/lesson/network/step/2": "activation",
    "#/step/lesson/network/step/5": "Loss",
    "#/step/lesson/network/step/6": "from the loss",
    "#/step/lesson/network/step/7": "dL/dz",
    "#/step/lesson/network/step/8": "dL/dW",
    "#/step/lesson/network/step/9": "from layer 2",
    "#/step/lesson/network/step/12": "update",
    "#/step/lesson/network/step/14": "after",
    "#/step/lesson/mnist-784-10-10/0/step/1": "weighted sums",
    "#/step/lesson/mnist-784-10-10/0/step/4": "softmax",
    "#/step/lesson/mnist-784-10-10/0/step/5": "Loss",
    "#/step/lesson/mnist-784-10-10/0/step/8": "dL/dW",
    "#/step/lesson/mnist-784-10-10/0/step/12": "update",
}


def test_axe_finds_nothing_serious_at_390_px_on_any_kind_of_step(chromium, site):
    ctx = chromium.new_context(viewport={"width": 390, "height": 800}, bypass_csp=True)
    pg = ctx.new_page()
    try:
        pg.goto(site + "/")
        wait_ready(pg)
        pg.add_script_tag(path=str(AXE))
        found = {}
        for url, words in STEP_KINDS.items():
            pg.evaluate("(h) => { location.hash = h; }", url)
            pg.wait_for_function(
                "(w) => (document.querySelector('[data-testid=step-view] .step-title')"
                "?.textContent || '').includes(w)",
                arg=words,
                timeout=60_000,
            )
            serious = [v for v in pg.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
            if serious:
                found[url] = serious
        assert found == {}
    finally:
        ctx.close()
