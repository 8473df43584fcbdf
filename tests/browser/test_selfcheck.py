"""The self-check view: it passes on the pretrained and on a freshly trained network, and a test
hook that corrupts one gradient makes it fail visibly."""

from __future__ import annotations

from conftest import DIST, wait_ready

from pycore import modelfile

SUMMARY = "[data-testid=selfcheck-summary]"


def _run_check(pg) -> dict:
    pg.click("[data-testid=selfcheck-run]")
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=selfcheck-summary]').dataset.passed",
        timeout=60_000,
    )
    rows = pg.eval_on_selector_all(
        "[data-testid=selfcheck-gradients] tbody tr",
        "rows => rows.map(r => [r.dataset.tensor, r.dataset.passed, Number(r.dataset.error),"
        " r.querySelector('.shape').textContent])",
    )
    golden = pg.eval_on_selector_all(
        "[data-testid=selfcheck-golden] tbody tr", "rows => rows.map(r => r.dataset.passed)"
    )
    return {
        "passed": pg.get_attribute(SUMMARY, "data-passed"),
        "summary": pg.inner_text(SUMMARY),
        "rows": rows,
        "golden": golden,
    }


def test_self_check_passes_on_the_pretrained_network(page):
    page.click("[data-nav=check]")
    result = _run_check(page)
    assert result["passed"] == "true", result
    # One row per parameter tensor of the shipped model, in order, with its shape.
    net, _ = modelfile.load(DIST / "models" / "default.npz")
    tensors = net.parameters()
    assert [r[0] for r in result["rows"]] == list(tensors)
    assert [r[3] for r in result["rows"]] == ["×".join(map(str, t.shape)) for t in tensors.values()]
    assert all(r[1] == "true" and r[2] < 1e-6 for r in result["rows"]), result
    assert result["golden"] and set(result["golden"]) == {"true"}
    assert result["summary"].startswith("Passed")
    assert "0.9990889488055994" in page.inner_text("[data-testid=selfcheck-golden]")
    assert page.errors == []


def test_self_check_passes_on_a_network_trained_in_the_page(page):
    page.click("[data-nav=train]")
    page.fill("#f-hidden", "24, 12")
    page.select_option("#f-activation", "tanh")
    for n in range(3):
        page.click("#train-step")
        if n == 0:  # the first step starts a run: yes, replace the pretrained network
            page.click("#train-confirm-yes")
        page.wait_for_function(
            "() => document.querySelector('#loss-summary').dataset.loss", timeout=30_000
        )
    page.click("[data-nav=check]")
    result = _run_check(page)
    assert result["passed"] == "true", result
    assert [r[3] for r in result["rows"]] == ["24×784", "24", "12×24", "12", "10×12", "10"]
    assert "784 -> 24 tanh -> 12 tanh -> 10 softmax" in result["summary"]
    assert page.errors == []


def test_a_corrupted_gradient_fails_visibly_only_with_the_test_hook(context, site):
    pg = context.new_page()
    pg.goto(site + "/#/check/corrupt")
    wait_ready(pg)
    assert _run_check(pg)["passed"] == "true", "without ?testhooks=1 the hook is ignored"

    pg.goto(site + "/?testhooks=1#/check/corrupt")
    wait_ready(pg)
    result = _run_check(pg)
    assert result["passed"] == "false"
    bad = [r for r in result["rows"] if r[1] == "false"]
    assert [r[0] for r in bad] == ["layers.0.W"] and bad[0][2] > 1e-3
    assert pg.locator(f"{SUMMARY}.fail").is_visible()
    assert result["summary"].startswith("FAILED") and "layers.0.W" in result["summary"]
    assert "✗ FAIL" in pg.inner_text("[data-testid=selfcheck-gradients]")
