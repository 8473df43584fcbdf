"""Stepping through the big MNIST network keeps the page responsive: no main-thread task over
100 ms (a PerformanceObserver of long tasks watches), even with the largest picture opened, and
the explanation, equation and code come before the pictures.
"""

from __future__ import annotations

from conftest import wait_ready

OBSERVE = """() => {
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push(Math.round(e.duration));
  }).observe({ type: "longtask" });
}"""


def test_stepping_the_default_mnist_network_has_no_task_over_100_ms(context, site):
    pg = context.new_page()
    pg.goto(f"{site}/#/step/digit/5")
    wait_ready(pg)
    pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
    # The words, the equation and the code come before the pictures; a big picture is folded.
    order = pg.evaluate(
        "() => [...document.querySelector('[data-testid=step-view]').children]"
        ".map((c) => c.className)"
    )
    assert order.index("step-body") < order.index("step-visual after")
    fold = pg.locator("details.step-fold").first
    assert not fold.evaluate("(d) => d.open")
    pg.evaluate(OBSERVE)
    fold.locator("summary").click()
    pg.wait_for_selector(
        "details.step-fold canvas[data-painted='1']", state="attached", timeout=30_000
    )
    view = pg.locator("[data-testid=step-view]")
    while not pg.locator("[data-testid=step-next]").is_disabled():
        seq = view.get_attribute("data-seq")
        pg.click("[data-testid=step-next]")
        pg.wait_for_function(
            "(s) => document.querySelector('[data-testid=step-view]').dataset.seq !== s", arg=seq
        )
        pg.wait_for_function(
            "() => [...document.querySelectorAll('canvas[data-painted]')]"
            ".every((c) => c.dataset.painted === '1')",
            timeout=30_000,
        )
    long = pg.evaluate("() => window.__long")
    assert max(long, default=0) <= 100, long
    # The picture opened on step 1 is open again when step 1 comes back.
    pg.click("[data-testid=step-first]")
    assert pg.locator("details.step-fold[open]").count() >= 1
