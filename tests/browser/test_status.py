"""The network in use, said on every view (issue 14): what it is, its layers and its measured
held-out accuracy, through training, fine-tuning, an upload and a reload; the question before a run
replaces it; honest endings; one run's charts; the same curves for the same seed; Inspect's note."""

from __future__ import annotations

from conftest import DIST, wait_ready
from test_train import fill, open_train, wait_state

from pycore import modelfile
from pycore.mydigits import collection_to_bytes
from pycore.train import Settings

STATUS = "[data-testid=net-status]"
VIEWS = ["draw", "train", "inspect", "models", "step", "mine", "check"]
PRETRAINED = ",".join(map(str, modelfile.load(DIST / "models" / "default.npz")[0].sizes))


def status(page) -> dict:
    return page.evaluate(
        """(s) => { const e = document.querySelector(s);
          return {kind: e.dataset.kind, sizes: e.dataset.sizes, accuracy: e.dataset.accuracy,
                  text: e.querySelector('.net-status-text').textContent,
                  visible: e.getClientRects().length > 0,
                  said: e.querySelector('[aria-live=polite]').textContent}; }""",
        STATUS,
    )


def wait_kind(page, kind, timeout=60_000):
    page.wait_for_function(
        "([s, k]) => document.querySelector(s).dataset.kind === k",
        arg=[STATUS, kind],
        timeout=timeout,
    )
    return status(page)


def on_every_view(page, site, kind, sizes):
    """The same status, visible, on every view."""
    texts = set()
    for view in VIEWS:
        page.click(f"[data-nav={view}]")
        page.wait_for_function(f"() => !document.querySelector('#view-{view}').hidden")
        s = status(page)
        assert s["visible"], view
        assert (s["kind"], s["sizes"]) == (kind, sizes), (view, s)
        texts.add(s["text"])
    assert len(texts) == 1, texts


def model_file(tmp_path, claimed: float):
    """A 784-16-10 network file (untrained) whose record claims `claimed` held-out accuracy."""
    settings = Settings.from_dict({"hidden": [16], "seed": 3})
    path = tmp_path / "claims.npz"
    modelfile.save(settings.build(), path, settings.to_dict(), {"test_accuracy": claimed})
    return path


def test_the_network_in_use_is_said_on_every_view_through_train_finetune_upload_reload(
    page, site, tmp_path
):
    s = wait_kind(page, "pretrained")
    page.wait_for_function(
        "s => document.querySelector(s).dataset.accuracy !== ''", arg=STATUS, timeout=60_000
    )
    s = status(page)
    assert s["sizes"] == PRETRAINED and float(s["accuracy"]) > 0.9
    assert f"{float(s['accuracy']) * 100:.1f}% of held-out digits right" in s["text"]
    assert s["said"] == f"Network in use: pretrained, {PRETRAINED.replace(',', ' → ')}."
    on_every_view(page, site, "pretrained", PRETRAINED)

    # Training: the batch shows in the line; the announcement says "training" once, without it.
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="1", optimizer="adam", lr="0.003", seed="0")
    page.click("#train-start")
    page.click("#train-confirm-yes")
    s = wait_kind(page, "training")
    page.wait_for_function(
        "s => /batch [1-9]/.test(document.querySelector(s).innerText)", arg=STATUS
    )
    assert status(page)["said"] == "Network in use: training, 784 → 16 → 10."
    assert wait_state(page, "done") == "done"
    s = wait_kind(page, "trained")
    page.wait_for_function("() => document.querySelector('#acc-summary').dataset.test !== ''")
    test_accuracy = float(page.get_attribute("#acc-summary", "data-test"))
    assert float(s["accuracy"]) == test_accuracy
    assert s["said"] == "Network in use: trained here, 784 → 16 → 10."
    on_every_view(page, site, "trained", "784,16,10")

    # Fine-tuning the trained network on my digits.
    pixels, labels = _digits(40)
    path = tmp_path / "mine.npz"
    path.write_bytes(collection_to_bytes(pixels, labels))
    page.click("[data-nav=mine]")
    page.wait_for_selector("#view-mine[data-loaded=true]", timeout=20_000)
    page.set_input_files("[data-testid=mine-import]", str(path))
    page.fill("#ft-epochs", "1")
    page.click("[data-testid=finetune]")
    page.wait_for_selector("#view-mine[data-finetune=reported]", state="attached", timeout=120_000)
    wait_kind(page, "finetuned")
    on_every_view(page, site, "finetuned", "784,16,10")

    # An uploaded file: its own claim (99%) is shown only as a claim, beside the measured figure.
    page.click("[data-nav=models]")
    page.set_input_files("#model-upload", str(model_file(tmp_path, 0.99)))
    s = wait_kind(page, "uploaded")
    page.wait_for_function("s => document.querySelector(s).dataset.accuracy !== ''", arg=STATUS)
    measured = float(status(page)["accuracy"])
    assert measured < 0.5, "an untrained network's accuracy was taken from its file"
    info = page.inner_text("#model-info")
    assert (
        f"{measured * 100:.2f}% (measured here)" in info
        and "Its file claims\n99.00%" in info.replace("\t", "\n")
    )
    on_every_view(page, site, "uploaded", "784,16,10")

    # A reload restores it, and every view says "restored" (the Train view too).
    page.wait_for_function("() => document.body.dataset.modelSave === 'saved'", timeout=30_000)
    page.reload()
    wait_ready(page)
    wait_kind(page, "restored")
    # The line changes once the restored network is measured on the held-out digits (after the
    # digits arrive, which a return visit's quick start can precede): compare the views after.
    page.wait_for_function("s => document.querySelector(s).dataset.accuracy !== ''", arg=STATUS)
    on_every_view(page, site, "restored", "784,16,10")
    assert "restored from this browser" in page.inner_text("#train-state")
    assert page.errors == []


def _digits(count):
    from digits import held_out

    pixels, labels = held_out()
    return pixels[:count], labels[:count]


def test_a_reload_mid_training_shows_the_restored_network_not_the_pretrained(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="30")
    page.click("#train-step")
    page.click("#train-confirm-yes")
    page.wait_for_function("() => document.body.dataset.modelSaved > 0", timeout=30_000)
    page.click("#train-resume")
    wait_kind(page, "training")
    page.reload()
    wait_ready(page)
    s = wait_kind(page, "restored")
    assert s["sizes"] == "784,16,10"
    open_train(page, site)
    state = page.inner_text("#train-state")
    assert "restored from this browser" in state and "pretrained" not in state


def test_starting_a_run_asks_before_replacing_the_network_in_use(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="1")
    page.click("#train-start")
    box = page.locator("[data-testid=train-confirm]")
    box.wait_for(state="visible")
    assert "replaces the pretrained network" in box.inner_text()
    # The question has the focus on its answer, and says what it is about.
    assert page.evaluate("() => document.activeElement.id") == "train-confirm-yes"
    page.click("#train-confirm-no")
    assert box.is_hidden()
    assert page.get_attribute("#train-form", "data-state") == "idle"
    assert status(page)["kind"] == "pretrained"
    assert page.evaluate("() => document.activeElement.id") == "train-start"
    # Escape says no too; Enter on the focused answer says yes.
    page.click("#train-start")
    page.keyboard.press("Escape")
    assert box.is_hidden() and status(page)["kind"] == "pretrained"
    page.click("#train-start")
    page.keyboard.press("Enter")
    assert wait_state(page, "done") == "done"
    wait_kind(page, "trained")
    # A network trained here is asked about too, with a pointer to keeping it.
    page.click("#train-start")
    box.wait_for(state="visible")
    assert "one trained here" in box.inner_text() and "download it in Models" in box.inner_text()
    page.click("#train-confirm-no")


def test_a_run_that_did_not_learn_says_so_and_retries_with_the_fix(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="1", optimizer="adam", lr="50")
    page.click("#train-start")
    page.click("#train-confirm-yes")
    assert wait_state(page, "done", "diverged") == "done"
    page.wait_for_function(
        "() => document.querySelector('#train-form').dataset.verdict === 'did-not-learn'"
    )
    verdict = page.locator("[data-testid=train-verdict]")
    assert verdict.is_visible() and verdict.get_attribute("role") == "alert"
    text = verdict.inner_text()
    assert "did not learn" in text and "learning rate" in text
    assert "did not learn" in page.inner_text("#train-state")
    assert "Draw a digit to try" not in page.inner_text("#train-state")
    assert wait_kind(page, "did-not-learn")["text"].count("did not learn") == 1
    # No estimate of hours along the way: a 125-batch run never says "h" left.
    assert " h " not in page.inner_text("#train-stats")
    retry = page.locator("[data-testid=train-retry]")
    assert retry.inner_text() == "Retry with learning rate 0.001"
    retry.click()
    # One click: the form holds the fix and the run starts without asking again.
    page.wait_for_function("() => document.querySelector('#f-lr').value === '0.001'")
    assert page.locator("[data-testid=train-confirm]").is_hidden()
    assert wait_state(page, "running", "done") in ("running", "done")
    assert wait_state(page, "done") == "done"
    page.wait_for_function(
        "() => document.querySelector('#train-form').dataset.verdict === 'learned'"
    )
    assert verdict.is_hidden()
    assert float(page.get_attribute("#acc-summary", "data-test")) > 0.7
    wait_kind(page, "trained")


def _curves(page):
    """The loss and accuracy tables of the run in the charts, as a person would read them."""
    for toggle in ("#loss-table-toggle", "#acc-table-toggle"):
        if page.get_attribute(toggle, "aria-expanded") != "true":
            page.click(toggle)
    # Cell by cell, so the text does not depend on how far the table has been laid out yet.
    cells = "rows => rows.map((r) => [...r.cells].map((c) => c.textContent.trim()).join('\\t'))"
    rows = lambda s: page.locator(f"{s} tbody tr").evaluate_all(cells)  # noqa: E731
    return rows("#loss-table"), rows("#acc-table")


def test_one_seed_run_three_times_draws_the_same_curves(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="100", epochs="3", optimizer="adam", lr="0.003", seed="5")
    runs = []
    for _ in range(3):
        page.click("#train-start")
        page.click("#train-confirm-yes")
        page.wait_for_function(
            "() => document.querySelector('#train-form').dataset.state === 'running'"
        )
        assert wait_state(page, "done") == "done"
        page.wait_for_function("() => document.querySelector('#acc-chart').dataset.points === '3'")
        runs.append(_curves(page))
        # The charts say which run they show, with the run's settings.
        caption = page.inner_text("[data-testid=run-caption]")
        assert (
            f"run {len(runs)}:" in caption and "seed 5" in caption and "batches of 100" in caption
        )
    loss, acc = runs[0]
    assert len(loss) == 20 and len(acc) == 3
    assert runs[1] == runs[0] and runs[2] == runs[0]
    # The smoothed loss starts at the run's own first loss.
    first = loss[0].split("\t")
    assert first[1] == first[2]
    assert "trails the held-out accuracy" in page.inner_text("#acc-note")


def test_inspect_has_no_stale_note_right_after_evaluating(page, site):
    open_train(page, site)
    fill(page, hidden="16", batch_size="64", epochs="1")
    page.click("#train-start")
    page.click("#train-confirm-yes")
    assert wait_state(page, "done") == "done"
    page.click("[data-nav=inspect]")
    page.wait_for_function(
        "() => document.querySelector('#accuracy').dataset.accuracy", timeout=30_000
    )
    page.click("#evaluate")
    page.wait_for_function("() => !document.querySelector('#evaluate').disabled")
    # Nothing changed the network since: events about the same network (its measured accuracy,
    # the status line) leave no note.
    page.click("[data-nav=models]")
    page.click("[data-nav=inspect]")
    assert page.inner_text("#evaluate-status") == ""
    # The network does change: the note appears.
    page.click("[data-nav=models]")
    page.click("#model-reset")
    wait_kind(page, "pretrained")
    page.click("[data-nav=inspect]")
    assert "network changed" in page.inner_text("#evaluate-status")
