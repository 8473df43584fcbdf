"""The step-through view, driven as a person would: lesson links, URLs, buttons and keys.

The expected numbers are derived here by hand (the chain rule written out for the 2-2-1 network)
or computed by CPython's pycore for the same digit, model and learning rate; the page's values come
from what it shows in the step view.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from conftest import DIST, draw_strokes, wait_ready

from pycore import modelfile
from pycore.data import load_subset
from pycore.optim import SGD

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def numbers(pg, tensor: str) -> list[float]:
    """The numbers the step view lists for one tensor (its <dd>), in order."""
    text = pg.locator(f"[data-testid=step-view] [data-tensor='{tensor}'] dd").inner_text()
    return [float(v) for v in NUMBER.findall(text)]


def title(pg) -> str:
    return pg.locator("[data-testid=step-view] .step-title").inner_text()


def next_until(pg, text: str, limit: int = 20) -> None:
    for _ in range(limit):
        if text in title(pg):
            return
        pg.click("[data-testid=step-next]")
    raise AssertionError(f"no step titled {text!r}; last was {title(pg)!r}")


def wait_text(pg, selector: str, pattern: str, timeout: float = 60_000) -> None:
    """Wait until the text of ``selector`` matches the regular expression ``pattern``."""
    pg.wait_for_function(
        "([s, p]) => new RegExp(p).test(document.querySelector(s)?.textContent || '')",
        arg=[selector, pattern],
        timeout=timeout,
    )


def render_seq(pg) -> int:
    """How many times the step view has been drawn (its data-seq)."""
    return int(pg.get_attribute("[data-testid=step-view]", "data-seq"))


def outlive_player_timer(pg, ms: int) -> None:
    """Return once a page timer of ``ms`` has fired: timers fire in deadline order, so every timer
    the page set earlier with a shorter delay has run by then (a wait on the page's event loop,
    not on the test's clock)."""
    pg.evaluate("(ms) => new Promise((resolve) => setTimeout(resolve, ms))", ms)


def diagram_lines(pg) -> list[str]:
    """The lines of text the diagram shows (not its hover titles)."""
    return pg.evaluate(
        "() => [...document.querySelectorAll('svg.step-diagram text')]"
        ".map((t) => t.firstChild.nodeValue)"
    )


def full_precision(pg) -> None:
    """Tick "Full precision": the numbers are then every digit of the float, not 4 figures."""
    pg.locator("[data-testid=step-full]").check()


def open_step(pg, site, hash_: str) -> None:
    pg.goto(f"{site}/{hash_}")
    wait_ready(pg)
    pg.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)


def test_network_lesson_from_the_nav_shows_the_output_and_hand_derived_gradients(page):
    page.click("[data-testid=lesson-network]")
    page.locator("[data-testid=step-view] .step-title").wait_for(timeout=60_000)
    assert "Step 1 of 14" in title(page)
    full_precision(page)
    lr = float(page.locator("[data-testid=step-lr]").input_value())

    # The 2-2-1 network of the lesson: every neuron has w = [0, 1], b = 0; x = [2, 3]; target 1.
    h = sigmoid(0 * 2 + 1 * 3 + 0)  # both hidden neurons
    o = sigmoid(0 * h + 1 * h + 0)
    # Loss: MSE over N = 1 sample and K = 1 output, L = (o - 1)^2.
    loss = (o - 1) ** 2
    dL_do = 2 * (o - 1)
    dL_dz2 = dL_do * o * (1 - o)  # sigmoid'(z) = o (1 - o)
    dL_dW2 = [dL_dz2 * h, dL_dz2 * h]  # times the inputs of layer 2
    dL_dh = [dL_dz2 * 0, dL_dz2 * 1]  # back through W2 = [0, 1]
    dL_dz1 = [d * h * (1 - h) for d in dL_dh]
    dL_dW1 = [dL_dz1[0] * 2, dL_dz1[0] * 3, dL_dz1[1] * 2, dL_dz1[1] * 3]

    next_until(page, "Layer 2: activation")
    assert "0.7216325609518421" in page.inner_text("[data-testid=step-view]")
    assert numbers(page, "forward.1.a") == [o]  # the float64 value, printed in full

    next_until(page, "Loss (mean squared error)")
    assert numbers(page, "loss") == pytest.approx([loss], rel=1e-12)
    next_until(page, "Layer 2: dL/da from the loss")
    assert numbers(page, "backward.1.da") == pytest.approx([dL_do], rel=1e-12)
    next_until(page, "Layer 2: dL/dz")
    assert numbers(page, "backward.1.dz") == pytest.approx([dL_dz2], rel=1e-12)
    next_until(page, "Layer 2: dL/dW and dL/db")
    assert numbers(page, "backward.1.dW") == pytest.approx(dL_dW2, rel=1e-12)
    assert numbers(page, "backward.1.db") == pytest.approx([dL_dz2], rel=1e-12)
    next_until(page, "Layer 1: dL/da from layer 2")
    assert numbers(page, "backward.0.da") == pytest.approx(dL_dh, rel=1e-12, abs=1e-300)
    next_until(page, "Layer 1: dL/dz")
    assert numbers(page, "backward.0.dz") == pytest.approx(dL_dz1, rel=1e-12, abs=1e-300)
    next_until(page, "Layer 1: dL/dW and dL/db")
    assert numbers(page, "backward.0.dW") == pytest.approx(dL_dW1, rel=1e-12, abs=1e-300)
    next_until(page, "Layer 2: update")
    w2 = [0 - lr * dL_dW2[0], 1 - lr * dL_dW2[1]]
    assert numbers(page, "update.1.W") == pytest.approx(w2, rel=1e-12)
    next_until(page, "Loss after the update")
    after = numbers(page, "loss_after")[0]
    assert after < loss
    assert page.url.endswith("#/step/lesson/network/step/14")
    assert page.errors == []


def test_a_lesson_step_opens_from_its_url_with_the_exact_numbers(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/lesson/network/step/4")
    assert "Step 4 of 14: Layer 2: activation (sigmoid)" in title(pg)
    full_precision(pg)
    assert "0.7216325609518421" in pg.inner_text("[data-testid=step-view]")
    assert pg.locator("[data-testid=step-prev]").is_enabled()

    pg.goto(f"{site}/#/step/lesson/neuron/step/2")
    wait_text(pg, ".step-title", "Step 2 of")
    assert "0.9990889488055994" in pg.inner_text("[data-testid=step-view]")
    # The diagram is drawn for the tiny network, with the equation typeset by KaTeX.
    assert pg.locator("[data-testid=step-view] svg.step-diagram").count() == 1
    assert pg.locator("[data-testid=step-view] .step-equation .katex").count() >= 2


def test_keyboard_walks_every_step_and_the_url_follows(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/lesson/network")
    view = pg.locator("[data-testid=step-view]")
    view.focus()
    total = int(re.search(r"of (\d+)", title(pg)).group(1))
    seen = [title(pg)]
    for _ in range(total - 1):
        pg.keyboard.press("ArrowRight")
        seen.append(title(pg))
    assert [int(re.search(r"Step (\d+)", t).group(1)) for t in seen] == list(range(1, total + 1))
    assert pg.locator("[data-testid=step-next]").is_disabled()
    pg.keyboard.press("ArrowRight")  # nothing past the last step
    assert f"Step {total} of {total}" in title(pg)
    pg.keyboard.press("Home")
    assert "Step 1 of" in title(pg)
    assert pg.url.endswith("/step/1")
    pg.keyboard.press("End")
    assert f"Step {total} of {total}" in title(pg)
    pg.keyboard.press("ArrowLeft")
    assert f"Step {total - 1} of" in title(pg)
    assert pg.url.endswith(f"#/step/lesson/network/step/{total - 1}")
    # The screen-reader announcement follows the step and carries its numbers.
    assert "Step 13 of 14" in pg.locator("[data-testid=step-announce]").inner_text()

    # Space plays from the focused view; the steps advance by themselves, Space pauses.
    pg.keyboard.press("Home")
    pg.select_option("#step-speed", "500")
    view.focus()
    pg.keyboard.press("Space")
    wait_text(pg, ".step-title", "Step [3-9] of")
    pg.keyboard.press("Space")
    assert pg.get_attribute(".step-stage", "data-playing") == "false"
    paused = title(pg)
    seq = render_seq(pg)
    # Any step the player had scheduled would fire before a page timer of twice the interval,
    # however slow the machine: after it, the render count shows that no step came.
    outlive_player_timer(pg, 2 * 500)
    assert render_seq(pg) == seq
    assert title(pg) == paused

    # Keys typed in a form field are left alone.
    pg.locator("[data-testid=step-lr]").focus()
    pg.keyboard.press("End")
    assert render_seq(pg) == seq
    assert title(pg) == paused


HIGHLIGHT = {
    "weighted sums": "z = matmul(x, self.W.T) + self.b",
    "activation (relu)": "np.maximum(z, 0)",
    "activation (softmax)": "return e / e.sum",
    "dL/dW and dL/db": "dW = matmul(dz.T, x)",
    ": update": "p -= self.lr * g",
    "Loss (cross-entropy)": "np.log",
}


def test_highlighted_source_lines_hold_the_operation_of_each_step(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/digit/5")
    checked = set()
    while True:
        t = title(pg)
        marked = pg.locator("[data-testid=step-source] .line.hl .text").all_inner_texts()
        assert marked, t
        for key, line in HIGHLIGHT.items():
            if t.endswith(key):
                assert any(line in m for m in marked), (t, marked)
                checked.add(key)
        if "dL/dW" in t:
            assert any("db = dz.sum(axis=0)" in m for m in marked)
        if pg.locator("[data-testid=step-next]").is_disabled():
            break
        pg.click("[data-testid=step-next]")
    assert checked == set(HIGHLIGHT)
    # The numbers of every highlighted line are real source line numbers of the file shown.
    first = pg.locator("[data-testid=step-source] .line").first.get_attribute("data-line")
    assert int(first) > 1


def test_held_out_digit_losses_before_and_after_the_update_match_cpython(context, site):
    net, _ = modelfile.load(DIST / "models" / "default.npz")
    test = load_subset(DIST / "data" / "mnist-subset.npz").test
    # A digit the network is unsure of: a loss near 1e-5 (a confident digit) has few significant
    # float32 digits, so two summation orders may disagree in the third; a loss near 1 does not.
    probs = net.predict_proba(test.images()[:300])
    losses = -np.log(probs[np.arange(300), test.labels[:300]])
    index = int(np.flatnonzero((losses > 0.05) & (losses < 3))[0])

    pg = context.new_page()
    pg.goto(site + "/#/step")
    wait_ready(pg)
    pg.select_option("#step-source", "digit")
    pg.fill("#step-index", str(index))
    pg.fill("[data-testid=step-lr]", "0.05")
    pg.click("[data-testid=step-apply]")
    wait_text(pg, ".step-about", f"digit #{index}")
    full_precision(pg)
    pg.locator("[data-testid=step-view]").focus()
    pg.keyboard.press("End")
    shown_before = numbers(pg, "loss")[0]
    shown_after = numbers(pg, "loss_after")[0]

    x, y = test.images()[index : index + 1], test.labels[index : index + 1]
    loss = net.train_step(x, y, SGD(0.05))
    # A dropout layer silenced the same values in the page (its masks come from a seed); the
    # loss after the update goes through the same masks there.
    for layer in net.layers:
        if layer.describe()["kind"] == "dropout":
            layer.fix_mask(layer.cache["mask"])
    after = net.evaluate_loss(x, y)
    # float32 maths; the page multiplies with einsum and CPython with BLAS, so only the
    # summation order differs: agreement to float32 precision, not bit for bit.
    assert shown_before == pytest.approx(loss, rel=2e-5)
    assert shown_after == pytest.approx(after, rel=2e-5)
    assert shown_after < shown_before
    assert f"a {int(y[0])}" in pg.locator(".step-about").inner_text()
    last = int(re.search(r"Step (\d+) of (\d+)", title(pg)).group(2))
    assert pg.url.endswith(f"#/step/digit/{index}/step/{last}")


def test_mnist_units_show_their_numbers_on_focus_and_arrow_keys(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/lesson/mnist-784-10-10/3/step/2")
    assert "activation (relu)" in title(pg)
    # Ten hidden units: signed bars with every value, 0 wherever ReLU switched a neuron off.
    assert pg.locator("[data-testid=step-view] .step-bars").count() == 2
    # The shapes are written beside every array.
    captions = pg.locator("[data-testid=step-view] figcaption").all_inner_texts()
    assert any(c.startswith("z1: 1×10") for c in captions), captions
    pg.click("[data-testid=step-prev]")
    captions = pg.locator("[data-testid=step-view] figcaption").all_inner_texts()
    assert any(c.startswith("W1: 10×784") for c in captions), captions
    assert any(c.startswith("x: 1×784") for c in captions), captions
    figure = pg.locator("[data-testid=step-view] .step-figure", has_text="W1: 10×784")
    figure.locator("canvas").focus()
    pg.keyboard.press("ArrowRight")
    assert "neuron 1" in figure.locator(".step-detail").inner_text()
    assert "Step 1 of" in title(pg)  # the arrow moved within the map, not to another step
    # The output probabilities are bars marked with the target.
    pg.locator("[data-testid=step-view]").focus()
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("ArrowRight")
    assert "activation (softmax)" in title(pg)
    probs = pg.locator("[data-testid=step-view] .step-bars:not(.signed) li")
    assert probs.count() == 10
    assert pg.locator("[data-testid=step-view] .step-bars:not(.signed) li.target").count() == 1


def test_bad_input_is_explained_and_the_view_keeps_working(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/lesson/neuron")
    pg.fill("[data-testid=step-lr]", "fast")
    pg.click("[data-testid=step-apply]")
    assert "positive number" in pg.locator("#step-lr-error").inner_text()
    assert pg.locator("[data-testid=step-lr]").get_attribute("aria-invalid") == "true"
    # A drawing that does not exist yet: a message and a way to the drawing pad.
    pg.goto(site + "/#/step/drawing")
    wait_text(pg, ".step-status", "no drawing")
    pg.click("[data-testid=step-next]")  # the previous step-through is still usable
    assert "Step 2 of" in title(pg)


def test_the_view_fits_a_320_pixel_screen(chromium, site):
    ctx = chromium.new_context(viewport={"width": 320, "height": 700})
    pg = ctx.new_page()
    try:
        open_step(pg, site, "#/step/lesson/network/step/9")
        overflow = pg.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert pg.locator("[data-testid=step-next]").is_visible()
    finally:
        ctx.close()


def test_drawing_steps_through_with_the_chosen_label(page):

    draw_strokes(page, [[(14, 4), (14, 24)]])
    wait_text(page, "[data-testid=prediction]", "^[0-9]$")
    page.goto(page.url.split("#")[0] + "#/step")
    page.select_option("#step-source", "drawing")
    page.select_option("#step-label", "7")
    page.click("[data-testid=step-apply]")
    wait_text(page, ".step-about", "your drawing, labelled 7")
    page.locator("[data-testid=step-view]").focus()
    page.keyboard.press("End")
    assert np.isfinite(numbers(page, "loss_after")[0])


def test_numbers_have_4_figures_and_the_exact_float_on_focus_and_with_full_precision(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/lesson/network/step/4")
    dd = pg.locator("[data-testid=step-view] [data-tensor='forward.1.a'] dd")
    assert numbers(pg, "forward.1.a") == [0.7216]
    assert "0.7216325609518421" in dd.get_attribute("title")
    dd.focus()
    assert "0.7216325609518421" in dd.inner_text()
    # The diagram and the equation with the numbers use the same 4 figures.
    assert "a = 0.7216" in diagram_lines(pg)
    assert "0.7216" in pg.inner_text(".step-numeric")
    assert "0.7216325609518421" not in pg.inner_text(".step-numeric")
    full_precision(pg)
    assert "a = 0.7216325609518421" in diagram_lines(pg)
    assert "0.7216325609518421" in pg.inner_text(".step-numeric")
    # The mse lesson's loss after its update is 0.41000000000000003: 0.41 unless asked.
    pg.locator("[data-testid=step-full]").uncheck()
    pg.goto(f"{site}/#/step/lesson/mse/step/8")
    wait_text(pg, ".step-title", "Step 8 of")
    assert numbers(pg, "loss_after") == [0.41]
    assert "-0" not in re.sub(r"-0\.\d", "", pg.inner_text("[data-testid=step-view]"))


def test_the_form_shows_the_loss_each_sample_really_uses(context, site):
    pg = context.new_page()
    open_step(pg, site, "#/step/lesson/network")
    assert pg.locator("#step-loss").input_value() == "mse"
    assert pg.locator("#step-loss").is_disabled()
    assert "mean squared error" in pg.inner_text("#step-loss-hint")
    pg.select_option("#step-source", "lesson:mnist-784-10-10")
    assert pg.locator("#step-loss").input_value() == "cross_entropy"
    pg.select_option("#step-source", "digit")
    assert pg.locator("#step-loss").is_enabled()
