"""My digits: label real drawings, keep them across reloads, export/import them, fine-tune on them;
and the trained model and settings kept across reloads, with an explicit reset."""

from __future__ import annotations

import re

import numpy as np
from conftest import draw_strokes, wait_ready
from digits import first_of_each_class, held_out

from pycore.mydigits import collection_from_bytes, collection_to_bytes

CANVAS = "[data-testid=mine-canvas]"

# Reads every stored digit straight from IndexedDB, as (label, pixels) pairs.
READ_DB = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open("pycore");
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result;
    const all = db.transaction("digits").objectStore("digits").getAll();
    all.onsuccess = () => {
      db.close();
      resolve(all.result.map((d) => [d.label, Array.from(d.pixels)]));
    };
    all.onerror = () => reject(all.error);
  };
})"""


def _open_mine(pg):
    pg.click("[data-nav=mine]")
    pg.wait_for_selector("#view-mine[data-loaded=true]", timeout=20_000)


def _count(pg) -> int:
    return int(pg.get_attribute("[data-testid=mine-grid]", "data-count"))


def _wait_count(pg, n: int):
    pg.wait_for_function(
        "(n) => document.querySelector('[data-testid=mine-grid]').dataset.count === String(n)",
        arg=n,
        timeout=20_000,
    )


def _stored(pg) -> list[tuple[int, bytes]]:
    return sorted((label, bytes(pixels)) for label, pixels in pg.evaluate(READ_DB))


def test_label_ten_drawings_reload_export_clear_import(page, site, tmp_path):
    _open_mine(page)
    assert _count(page) == 0
    assert "Start with any digit" in page.inner_text("[data-testid=mine-prompt]")
    for n, (_, label, strokes) in enumerate(first_of_each_class(), start=1):
        draw_strokes(page, strokes, selector=CANVAS)
        page.click(f"[data-testid=label-{label}]")
        _wait_count(page, n)
    status = page.inner_text("[data-testid=mine-status]")
    assert "Added a 9" in status
    # One of each digit: the prompt now asks for more of the digits with the fewest samples.
    assert "fewest samples (1)" in page.inner_text("[data-testid=mine-prompt]")
    for d in range(10):
        assert page.locator(f".mine-group[data-digit='{d}'] .mine-item").count() == 1
    # Accuracy on my digits is shown next to the MNIST test accuracy.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=mine-accuracy]').dataset.value",
        timeout=20_000,
    )
    mine = float(page.get_attribute("[data-testid=mine-accuracy]", "data-value"))
    mnist = float(page.get_attribute("[data-testid=mnist-accuracy]", "data-value"))
    assert mine >= 0.7 and mnist > 0.9
    before = _stored(page)
    assert sorted(label for label, _ in before) == list(range(10))
    # The stored images are the 28x28 pictures the network sees: ink centred, background 0.
    image = np.frombuffer(before[0][1], np.uint8).reshape(28, 28)
    assert image.max() >= 200 and image[0].max() == 0 and image[:, 0].max() == 0

    page.reload()
    wait_ready(page)
    _open_mine(page)
    assert _count(page) == 10
    assert _stored(page) == before

    with page.expect_download() as download:
        page.click("[data-testid=mine-export]")
    path = tmp_path / "my-digits.npz"
    download.value.save_as(path)
    assert download.value.suggested_filename == "my-digits.npz"
    pixels, labels = collection_from_bytes(path.read_bytes())
    assert sorted(zip(labels.tolist(), map(bytes, pixels), strict=True)) == before

    page.click("[data-testid=mine-clear-all]")
    page.click("[data-testid=mine-clear-confirm]")
    _wait_count(page, 0)
    assert _stored(page) == []

    page.set_input_files("[data-testid=mine-import]", str(path))
    _wait_count(page, 10)
    assert _stored(page) == before
    # Importing the same file again adds nothing.
    page.set_input_files("[data-testid=mine-import]", str(path))
    page.wait_for_function(
        "() => /already had were skipped/"
        ".test(document.querySelector('#view-mine .notice').textContent)",
        timeout=20_000,
    )
    assert _count(page) == 10
    assert page.errors == []


def _unusual_style(count: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Held-out MNIST digits drawn thicker and pushed to a corner: a style the network misreads."""
    pixels, labels = held_out()
    rows = pixels[100 : 100 + count].reshape(-1, 28, 28).astype(np.int32)
    thick = np.maximum(rows, np.roll(rows, 1, axis=2))
    thick = np.maximum(thick, np.roll(thick, 1, axis=1))
    moved = np.roll(thick, (4, 4), axis=(1, 2)).clip(0, 255).astype(np.uint8)
    return moved.reshape(-1, 784), labels[100 : 100 + count]


def test_finetune_on_my_digits_reports_held_out_and_mnist_accuracy(page, tmp_path):
    pixels, labels = _unusual_style()
    path = tmp_path / "style.npz"
    path.write_bytes(collection_to_bytes(pixels, labels))
    _open_mine(page)
    page.set_input_files("[data-testid=mine-import]", str(path))
    _wait_count(page, 120)
    page.fill("#ft-epochs", "6")
    page.click("[data-testid=finetune]")
    page.wait_for_selector("#view-mine[data-finetune=reported]", state="attached", timeout=180_000)
    rows = {
        key: (
            float(page.get_attribute(f"[data-row={key}]", "data-before")),
            float(page.get_attribute(f"[data-row={key}]", "data-after")),
        )
        for key in ("held", "learned", "mnist")
    }
    held_before, held_after = rows["held"]
    assert held_after > held_before, rows
    assert rows["learned"][1] > rows["learned"][0], rows
    assert 0.8 < rows["mnist"][1] <= 1, rows
    result = page.inner_text("[data-testid=finetune-result]")
    assert "MNIST held-out digits" in result and "generalised" in result
    # Enough drawings were held out to tell, and the sentence counts them.
    assert page.get_attribute("[data-testid=finetune-verdict]", "data-kind") == "generalised"
    assert re.search(r"on the \d+ drawings of yours it never trained on", result)
    # The thumbnails say which drawings were held out: about one in five of each digit.
    held = int(re.search(r"(\d+) of yours held out", page.inner_text("#view-mine")).group(1))
    assert 20 <= held <= 30
    assert page.locator(".mine-item", has_text="held out").count() == held
    # The run is drawn in the Train view's live charts, batch by batch.
    page.click("#view-mine a[href='#/train']")
    page.wait_for_function(
        "() => Number(document.querySelector('#loss-chart').dataset.points || 0) > 0",
        timeout=20_000,
    )
    assert page.errors == []


def test_trained_model_and_settings_survive_a_reload_and_reset_forgets_them(page):
    page.click("[data-nav=train]")
    page.fill("#f-hidden", "16")
    page.fill("#f-seed", "7")
    page.click("#train-step")
    page.click("#train-confirm-yes")
    page.wait_for_function("() => document.body.dataset.modelSaved > 0", timeout=30_000)
    page.reload()
    wait_ready(page)
    page.wait_for_function("() => document.body.dataset.restored === 'model'", timeout=30_000)
    note = page.inner_text("[data-testid=restore-note]")
    assert "Restored your model (784 → 16 → 10) from" in note
    assert page.input_value("#f-hidden") == "16"
    assert page.input_value("#f-seed") == "7"
    page.click("[data-nav=models]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=model-info]').dataset.sizes === '784,16,10'"
    )

    page.click("[data-testid=restore-reset]")
    page.wait_for_function("() => document.body.dataset.restored === 'reset'")
    assert "pretrained network is back" in page.inner_text("[data-testid=restore-note]")
    page.reload()
    wait_ready(page)
    page.wait_for_function("() => document.body.dataset.restored === 'none'", timeout=30_000)
    assert page.locator("[data-testid=restore-note]").is_hidden()
    assert page.input_value("#f-hidden") == "10"
    assert page.errors == []


def test_same_seed_same_run_and_new_seed_draws_another(page):
    page.click("[data-nav=train]")
    page.fill("#f-seed", "123")

    def first_batch_loss() -> str:
        page.click("#train-step")
        page.click("#train-confirm-yes")
        # The new run is paused after its one batch; until then the summary may still hold the
        # previous run's loss (the run is reset only when the worker answers the start).
        page.wait_for_function(
            "() => document.querySelector('#train-form').dataset.state === 'paused'"
            " && document.querySelector('#loss-summary').dataset.loss",
            timeout=30_000,
        )
        loss = page.get_attribute("#loss-summary", "data-loss")
        page.click("#train-stop")
        page.wait_for_function(
            "() => document.querySelector('#train-form').dataset.state === 'stopped'"
        )
        return loss

    first = first_batch_loss()
    assert first_batch_loss() == first
    page.click("#new-seed")
    seed = page.input_value("#f-seed")
    assert seed != "123" and seed.isdigit()
    assert first_batch_loss() != first
    assert page.errors == []


def test_finetune_on_few_drawings_says_too_few_to_tell_with_the_counts(page, tmp_path):
    # Twelve drawings of three digits: too few held out to say whether it generalised.
    pixels, labels = held_out()
    chosen = np.concatenate([np.flatnonzero(labels == d)[:4] for d in (1, 4, 7)])
    path = tmp_path / "few.npz"
    path.write_bytes(collection_to_bytes(pixels[chosen], labels[chosen]))
    _open_mine(page)
    page.set_input_files("[data-testid=mine-import]", str(path))
    _wait_count(page, 12)
    page.fill("#ft-epochs", "1")
    page.click("[data-testid=finetune]")
    page.wait_for_selector("#view-mine[data-finetune=reported]", state="attached", timeout=120_000)
    verdict = page.locator("[data-testid=finetune-verdict]")
    assert verdict.get_attribute("data-kind") == "too_few"
    text = verdict.inner_text()
    assert "Too few drawings to tell" in text and "It generalised" not in text
    # The evidence is counted: how many drawings of which digits were held out.
    held = int(re.search(r"(\d+) of your drawings (?:is|are) held out", text).group(1))
    assert held == page.locator(".mine-item", has_text="held out").count()
    assert re.search(r"\d+ of digit [147]", text)
    assert page.errors == []
