"""Training in the page: settings, controls, live charts, divergence, and a responsive page."""

from __future__ import annotations

import io

import digits
import numpy as np
from conftest import draw_strokes, wait_ready
from PIL import Image

from pycore.train import RECIPES, Settings


def open_train(page, site):
    page.goto(f"{site}/#/train")
    page.wait_for_function("() => !document.querySelector('#view-train').hidden")


def fill(page, **values):
    for name, value in values.items():
        field = page.locator(f"#f-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def wait_state(page, *states, timeout=90_000):
    # Polling by interval, not every animation frame, keeps the test's own work off the
    # main thread that the long-task test measures.
    page.wait_for_function(
        "states => states.includes(document.querySelector('#train-form').dataset.state)",
        arg=list(states),
        timeout=timeout,
        polling=250,
    )
    return page.get_attribute("#train-form", "data-state")


def start(page, button="#train-start"):
    """Press Start (or Step) and answer the page's question: yes, replace the network in use."""
    page.click(button)
    page.click("#train-confirm-yes")


def step_value(page) -> int:
    return int(float(page.get_attribute("#train-progress", "value") or 0))


def slices(page) -> int:
    """Training slices the page has heard of: a sequence number (#train-progress[data-slices])."""
    return int(page.get_attribute("#train-progress", "data-slices") or 0)


def wait_step_above(page, n, timeout=30_000):
    page.wait_for_function(
        "n => Number(document.querySelector('#train-progress').value) > n", arg=n, timeout=timeout
    )


def test_presets_fill_the_form(page, site):
    open_train(page, site)
    page.select_option("#preset", "lesson")
    assert page.input_value("#f-batch_size") == "8000"
    assert page.input_value("#f-epochs") == "500"
    assert page.input_value("#f-hidden") == "10"
    assert page.input_value("#f-optimizer") == "sgd"
    # The strong default and the small preset are pycore's own recipes, field by field.
    for name in ("default", "small"):
        page.select_option("#preset", name)
        recipe = Settings.from_dict(RECIPES[name]).to_dict()
        hidden = [int(n) for n in page.input_value("#f-hidden").split(",")]
        assert hidden == list(recipe["hidden"]), name
        for key in ("activation", "output", "loss", "init", "optimizer", "lr_schedule"):
            assert page.input_value(f"#f-{key}") == recipe[key], (name, key)
        for key in ("lr", "lr_decay", "batch_size", "epochs", "seed"):
            assert float(page.input_value(f"#f-{key}")) == recipe[key], (name, key)
        assert page.is_checked("#f-augment") == recipe["augment"], name
    # Editing a field makes the preset "custom".
    fill(page, hidden="64")
    assert page.input_value("#preset") == "custom"


def test_a_small_run_trains_and_the_charts_follow(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="1", optimizer="adam", lr="0.003")
    start(page)
    assert wait_state(page, "done", "diverged", "stopped") == "done"
    total = int(page.get_attribute("#train-progress", "max"))
    assert total == 125  # 8,000 digits in batches of 64
    assert step_value(page) == total
    assert "examples/s" in page.inner_text("#train-stats")
    page.wait_for_function("() => document.querySelector('#acc-summary').dataset.test !== ''")
    test_accuracy = float(page.get_attribute("#acc-summary", "data-test"))
    assert 0.7 < test_accuracy <= 1.0
    assert "Epoch 1" in page.inner_text("#acc-summary")
    # The loss fell: compare the first and last rows of the chart's table.
    page.click("#loss-table-toggle")
    assert page.get_attribute("#loss-table-toggle", "aria-expanded") == "true"
    rows = page.locator("#loss-table tbody tr")
    assert rows.count() >= 10
    first = float(rows.nth(0).locator("td").nth(0).inner_text())
    last = float(rows.nth(rows.count() - 1).locator("td").nth(1).inner_text())
    assert last < first / 2
    # The charts drew every batch and the epoch (in a worker where the browser can).
    page.wait_for_function("() => document.querySelector('#loss-chart').dataset.points === '125'")
    page.wait_for_function("() => document.querySelector('#acc-chart').dataset.points === '1'")
    image = Image.open(io.BytesIO(page.locator("#loss-chart").screenshot())).convert("RGB")
    rgb = np.asarray(image).reshape(-1, 3).astype(int)
    blue_line = (rgb[:, 2] > 150) & (rgb[:, 0] < 80)
    assert blue_line.sum() > 200, "the smoothed loss line is not on the chart"
    # The trained network is the one that answers the drawing now.
    page.goto(f"{site}/#/models")
    page.wait_for_function(
        "() => document.querySelector('#model-info').dataset.sizes === '784,16,10'"
    )


def test_pause_step_resume_and_stop(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="20")
    start(page)
    wait_step_above(page, 5)
    page.click("#train-pause")
    assert wait_state(page, "paused") == "paused"
    paused_at = step_value(page)
    slices_at_pause = slices(page)
    page.click("#train-step")
    page.wait_for_function(
        "n => Number(document.querySelector('#train-progress').value) === n + 1", arg=paused_at
    )
    # The step's own slice is the only one the worker ran since the pause.
    assert slices(page) == slices_at_pause + 1, "training went on while paused"
    page.click("#train-step")
    page.wait_for_function(
        "n => Number(document.querySelector('#train-progress').value) === n + 2", arg=paused_at
    )
    assert page.get_attribute("#train-form", "data-state") == "paused"
    page.click("#train-resume")
    wait_step_above(page, paused_at + 10)
    page.click("#train-stop")
    assert wait_state(page, "stopped") == "stopped"
    stopped_at, slices_at_stop = step_value(page), slices(page)
    # A round trip through the worker (the Models view asks for the model) gives a run that
    # wrongly went on the time to send another slice; none came.
    page.goto(f"{site}/#/models")
    page.wait_for_function("() => document.querySelector('#model-info').dataset.sizes")
    assert slices(page) == slices_at_stop
    assert step_value(page) == stopped_at
    open_train(page, site)
    assert page.is_enabled("#train-start") and page.is_disabled("#train-pause")


def test_step_before_start_begins_a_paused_run(page, site):
    open_train(page, site)
    fill(page, hidden="8", batch_size="32", epochs="1")
    start(page, "#train-step")
    page.wait_for_function("() => Number(document.querySelector('#train-progress').value) === 1")
    assert page.get_attribute("#train-form", "data-state") == "paused"
    assert "Batch 1 of 250" in page.inner_text("#train-stats")


def test_a_huge_learning_rate_diverges_with_a_clear_message(page, site):
    open_train(page, site)
    fill(
        page, hidden="16", optimizer="sgd", loss="mse", output="identity", lr="100", batch_size="64"
    )
    start(page)
    assert wait_state(page, "diverged", "done") == "diverged"
    box = page.locator("#train-diverged")
    assert box.is_visible()
    assert box.get_attribute("role") == "alert"
    text = box.inner_text()
    assert "loss became" in text and "learning rate" in text
    # The last good parameters were kept: the network still answers with a digit.
    page.goto(f"{site}/#/draw")
    label, strokes = digits.digit(2)
    draw_strokes(page, strokes)
    page.wait_for_function(
        "() => /^[0-9]$/.test(document.querySelector('[data-testid=prediction]').textContent)"
    )


def test_invalid_settings_are_refused_beside_their_field(page, site):
    open_train(page, site)
    fill(page, lr="fast")
    start(page)
    error = page.locator("#e-lr")
    error.wait_for(state="visible")
    assert "number" in error.inner_text()
    assert page.get_attribute("#f-lr", "aria-invalid") == "true"
    assert "e-lr" in page.get_attribute("#f-lr", "aria-describedby")
    assert page.evaluate("() => document.activeElement.id") == "f-lr"
    assert page.get_attribute("#train-form", "data-state") == "idle"
    # Fixing it clears the message; the next bad field gets its own.
    fill(page, lr="0.1", hidden="16, 0")
    assert not page.is_visible("#e-lr")
    start(page)
    page.locator("#e-hidden").wait_for(state="visible")
    assert "at least 1" in page.inner_text("#e-hidden")
    assert page.get_attribute("#f-hidden", "aria-invalid") == "true"
    fill(page, hidden="16", batch_size="-3")
    start(page)
    page.locator("#e-batch_size").wait_for(state="visible")
    assert page.get_attribute("#train-form", "data-state") == "idle"


def test_drawing_is_answered_while_training_runs(page, site):
    open_train(page, site)
    fill(page, hidden="64", batch_size="64", epochs="20")
    start(page)
    wait_step_above(page, 3)
    page.goto(f"{site}/#/draw")
    label, strokes = digits.digit(5)
    draw_strokes(page, strokes)
    page.wait_for_function(
        "() => /^[0-9]$/.test(document.querySelector('[data-testid=prediction]').textContent)",
        timeout=10_000,
    )
    page.goto(f"{site}/#/train")
    assert page.get_attribute("#train-form", "data-state") == "running"
    page.click("#train-stop")
    wait_state(page, "stopped")


def test_main_thread_has_no_long_tasks_while_training(page, site):
    open_train(page, site)
    page.evaluate(
        """() => { window.longTasks = [];
                   new PerformanceObserver((list) => {
                     for (const e of list.getEntries()) window.longTasks.push(e.duration);
                   }).observe({ type: 'longtask' }); }"""
    )
    fill(page, hidden="128", batch_size="64", epochs="1", optimizer="adam", lr="0.001")
    start(page)
    assert wait_state(page, "done", "diverged", "stopped") == "done"
    # The last redraw of the charts (125 batches of 64) is part of the run's work on the page.
    page.wait_for_function(
        "() => document.querySelector('#loss-chart').dataset.points === '125'", polling=250
    )
    tasks = page.evaluate("() => window.longTasks")
    worst = max(tasks, default=0.0)
    speed = page.get_attribute("#train-stats", "data-examples-per-second")
    print(f"long tasks while training: {len(tasks)}, max {worst:.0f} ms; {speed} examples/s")
    assert worst <= 50, f"long tasks on the main thread: {tasks}"


# Counts, in the page, the workers started for the charts (train-charts.js names them).
COUNT_CHART_WORKERS = """
(() => {
  const Original = window.Worker;
  window.__chartWorkers = 0;
  window.Worker = function (url, options) {
    if (options && options.name === "pycore-charts") window.__chartWorkers += 1;
    return new Original(url, options);
  };
  window.Worker.prototype = Original.prototype;
})();
"""


def test_the_charts_start_only_when_the_train_view_is_first_shown(context, site):
    pg = context.new_page()
    pg.add_init_script(COUNT_CHART_WORKERS)
    pg.goto(site + "/")
    wait_ready(pg)
    # The landing view draws no chart: no chart worker (and no Chart.js) during start-up.
    assert pg.evaluate("() => window.__chartWorkers") == 0
    assert pg.evaluate("() => typeof globalThis.Chart") == "undefined"
    open_train(pg, site)
    pg.wait_for_function("() => document.querySelector('#loss-chart').dataset.chart === 'loss'")
    assert pg.evaluate("() => window.__chartWorkers") == 1
    # Showing the view again does not start another.
    pg.goto(site + "/#/")
    pg.wait_for_function("() => document.querySelector('#view-train').hidden")
    open_train(pg, site)
    assert pg.evaluate("() => window.__chartWorkers") == 1
