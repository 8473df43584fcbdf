"""Training a lesson's network for many epochs in the page: the weight/height run equals the CLI's
(`python -m pycore lesson weight-height`, computed here by pycore in-process), the learner asks
the trained network, and "step through epoch k, sample n" opens that step; the neuron lesson
learns.

Equal means: every number the CLI prints is the same text, and the floats behind them agree to
12 significant digits. Not to the last bit: the page's NumPy (WebAssembly) and CPython's differ
in the last bit of exp() now and then, and 4000 SGD steps carry such a bit along (the first
epochs agree exactly).
"""

from __future__ import annotations

import pytest
from conftest import wait_ready

from pycore import lessons


def _train(pg, site, name: str, timeout: float = 180_000) -> None:
    pg.goto(f"{site}/#/step/train/{name}")
    wait_ready(pg)
    pg.locator("[data-testid=lt-train]").click()
    pg.wait_for_selector(
        "[data-testid=lesson-train][data-done=true]", state="attached", timeout=timeout
    )


def _exact(pg, selector: str) -> float:
    return float(pg.get_attribute(selector, "data-exact"))


def test_the_weight_height_run_equals_the_cli_and_its_steps_open_in_the_step_through(context, site):
    cli = lessons.run_weight_height()
    pg = context.new_page()
    _train(pg, site, "weight-height")
    # The loss at the epochs the CLI prints, and the predictions for Emily and Frank: exact floats.
    printed = []
    for epoch in (1, 10, 100, 500, 1000):
        shown = _exact(pg, f"[data-testid=lt-losses] tr[data-epoch='{epoch}'] .num")
        assert shown == pytest.approx(cli["losses"][epoch - 1], rel=1e-12, abs=0), epoch
        printed.append(f"epoch {epoch:4d} loss {shown:.4f}")
    assert _exact(pg, "[data-testid=lt-losses] tr[data-epoch='1'] .num") == cli["losses"][0]
    for name, p in cli["predictions"].items():
        shown = _exact(pg, f"[data-testid=lt-predictions] tr[data-name={name}] .num")
        assert shown == pytest.approx(p, rel=1e-12, abs=0)
        sex = "F" if p > 0.5 else "M"
        printed.append(f"{name}: {shown:.3f} ({sex})")
        assert (
            pg.inner_text(f"[data-testid=lt-predictions] tr[data-name={name}]")
            .strip()
            .endswith(sex)
        )
    assert printed == cli["lines"][1:]
    # Emily typed in as a learner would: 128 lb and 63 in are weight-135 = -7, height-66 = -3.
    pg.fill("[data-testid=lt-in-weight]", "128")
    pg.fill("[data-testid=lt-in-height]", "63")
    pg.click("[data-testid=lt-ask]")
    pg.wait_for_selector("[data-testid=lt-answer][data-exact]", state="attached")
    assert _exact(pg, "[data-testid=lt-answer]") == _exact(
        pg, "[data-testid=lt-predictions] tr[data-name=Emily] .num"
    )
    assert "(F: female)" in pg.inner_text("[data-testid=lt-answer]")
    # The curve was drawn.
    assert pg.get_attribute("[data-testid=lt-chart] .lt-line", "d").count("L") > 100

    pg.fill("[data-testid=lt-step-epoch]", "3")
    pg.select_option("[data-testid=lt-step-sample]", "1")
    pg.click("[data-testid=lt-step-open]")
    pg.wait_for_function(
        "() => (document.querySelector('.step-about')?.textContent || '')"
        ".includes('epoch 3, step 2 of 4')",
        timeout=60_000,
    )
    assert pg.url.endswith("#/step/lesson/weight-height/1/epoch/3/step/1")
    assert "Bob" in pg.inner_text(".step-about")


def test_the_neuron_lesson_learns(context, site):
    pg = context.new_page()
    _train(pg, site, "neuron")
    rows = pg.locator("[data-testid=lt-losses] tr .num")
    first = float(rows.first.get_attribute("data-exact"))
    last = float(rows.last.get_attribute("data-exact"))
    assert last < first / 10
    # One step of the lesson (its own target 0 and MSE) changes the weights and the loss.
    pg.goto(f"{site}/#/step/lesson/neuron/step/8")
    pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
    pg.locator("[data-testid=step-full]").check()
    text = pg.inner_text("[data-testid=step-view]")
    assert "Loss after the update" in text
    assert pg.locator("#step-loss").input_value() == "mse"


def test_bad_settings_are_explained(context, site):
    pg = context.new_page()
    pg.goto(f"{site}/#/step/train/weight-height")
    wait_ready(pg)
    pg.fill("[data-testid=lt-epochs]", "many")
    pg.click("[data-testid=lt-train]")
    assert pg.get_attribute("[data-testid=lt-epochs]", "aria-invalid") == "true"
    assert "whole number" in pg.inner_text("[data-testid=lesson-train] [role=alert]")
