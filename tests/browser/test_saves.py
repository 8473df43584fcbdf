"""Nothing a learner saved is lost (issue 13): a failed run never overwrites the stored model, a
save that never settles is given up with a note and blocks nothing, a model too large to store
says so, and a fatal failure of the page's Python keeps the drawing and the collection."""

from __future__ import annotations

import digits
from conftest import draw_strokes, wait_ready
from test_train import fill, wait_state

STATUS = "[data-testid=net-status]"


def _hooked(context, site, route="#/train"):
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(f"{site}/?testhooks=1{route}")
    wait_ready(pg)
    return pg


def _saved(pg, outcome, timeout=30_000):
    pg.wait_for_function("o => document.body.dataset.modelSave === o", arg=outcome, timeout=timeout)


def _step_a_new_run(pg, **settings):
    fill(pg, **settings)
    pg.click("#train-step")
    pg.click("#train-confirm-yes")
    pg.wait_for_function(
        "() => Number(document.querySelector('#train-progress').value) === 1", timeout=30_000
    )


def test_a_run_that_fails_before_its_first_batch_never_replaces_the_saved_model(context, site):
    pg = _hooked(context, site)
    _step_a_new_run(pg, hidden="16", batch_size="64", epochs="1")
    _saved(pg, "saved")
    first = pg.evaluate("() => document.body.dataset.modelSaved")
    pg.click("#train-stop")
    wait_state(pg, "stopped")
    # Stopping saves the same network again (a new record); wait for that save to land.
    pg.wait_for_function("t => document.body.dataset.modelSaved !== t", arg=first, timeout=30_000)
    saved_at = pg.evaluate("() => document.body.dataset.modelSaved")
    # The next run (another network) fails at its first batch.
    pg.evaluate("() => window.pycoreTest.failNextSlice()")
    fill(pg, hidden="32")
    pg.click("#train-start")
    pg.click("#train-confirm-yes")
    pg.wait_for_function(
        "() => /first batch failed/.test(document.querySelector('#train-diverged').textContent)"
    )
    pg.wait_for_function("s => document.querySelector(s).dataset.kind === 'untrained'", arg=STATUS)
    _saved(pg, "skipped")
    assert pg.evaluate("() => document.body.dataset.modelSaved") == saved_at
    pg.reload()
    wait_ready(pg)
    pg.wait_for_function(
        "s => document.querySelector(s).dataset.kind === 'restored'", arg=STATUS, timeout=30_000
    )
    assert pg.get_attribute(STATUS, "data-sizes") == "784,16,10"


def test_a_save_that_never_settles_is_given_up_and_the_next_one_goes_ahead(context, site):
    pg = _hooked(context, site)
    pg.evaluate("() => { window.pycoreTest.saveLimitMs(1500); window.pycoreTest.hangSaves(1); }")
    _step_a_new_run(pg, hidden="16", batch_size="64", epochs="1")
    _saved(pg, "abandoned")
    note = pg.locator("[data-testid=save-note]")
    assert note.is_visible() and "did not finish within 2 s" in note.inner_text()
    assert pg.evaluate("() => document.body.dataset.modelSaved") in (None, "none")
    # The next save is not stuck behind it.
    pg.click("#train-step")
    pg.wait_for_function("() => Number(document.querySelector('#train-progress').value) === 2")
    _saved(pg, "saved")
    assert note.is_hidden()
    pg.reload()
    wait_ready(pg)
    pg.wait_for_function("() => document.body.dataset.restored === 'model'", timeout=30_000)


def test_a_model_too_large_to_store_says_so_and_stays_in_use(context, site):
    pg = _hooked(context, site)
    pg.evaluate("() => window.pycoreTest.maxStoredBytes(1000)")
    _step_a_new_run(pg, hidden="16", batch_size="64", epochs="1")
    _saved(pg, "too-large")
    note = pg.inner_text("[data-testid=save-note]")
    assert "not kept in this browser" in note and "until this tab closes" in note
    assert pg.get_attribute(STATUS, "data-sizes") == "784,16,10"
    pg.reload()
    wait_ready(pg)
    pg.wait_for_function("() => document.body.dataset.restored === 'none'", timeout=30_000)


def test_a_fatal_python_failure_offers_retry_and_keeps_the_drawing_and_digits(
    context, site, tmp_path
):
    from pycore.mydigits import collection_to_bytes

    pg = _hooked(context, site, "#/mine")
    pixels, labels = digits.held_out()
    path = tmp_path / "three.npz"
    path.write_bytes(collection_to_bytes(pixels[:3], labels[:3]))
    pg.wait_for_selector("#view-mine[data-loaded=true]", timeout=20_000)
    pg.set_input_files("[data-testid=mine-import]", str(path))
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=mine-grid]').dataset.count === '3'"
    )
    pg.click("[data-nav=draw]")
    label, strokes = digits.digit(0)
    draw_strokes(pg, strokes)
    # The answer for the finished drawing (not one asked for while it was being drawn).
    pg.wait_for_function(
        """() => document.body.dataset.predicting === 'false'
                 && document.querySelector('[data-testid=prediction]').textContent !== ''"""
    )
    predicted = pg.inner_text("[data-testid=prediction]")

    # Python fails fatally (as a stack overflow would); the next drawing finds it dead.
    pg.evaluate("() => window.pycoreTest.breakPython()")
    draw_strokes(pg, strokes[:1])
    pg.wait_for_function("() => document.body.dataset.ready === 'error'", timeout=30_000)
    message = pg.inner_text("#fatal")
    assert "failed fatally" in message and "drawing is kept" in message
    assert pg.locator("#retry").is_visible()

    pg.click("#retry")
    wait_ready(pg)
    # The drawing is still there and is read again; the digits are all still stored.
    pg.wait_for_function(
        "() => /^[0-9]$/.test(document.querySelector('[data-testid=prediction]').textContent)"
    )
    assert pg.inner_text("[data-testid=prediction]") == predicted
    pg.click("[data-nav=mine]")
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=mine-grid]').dataset.count === '3'"
    )
