"""Every size the Train form accepts works (issue 13): a product past einsum's 2^31 limit.

Pyodide's numpy raises "iterator is too large" from ``np.einsum`` once m*k*n reaches 2^31;
pycore.kernels.matmul splits such products along the batch. 1000 x 784 x 4096 is past that limit
(3.2e9), so one batch of 1000 through a 4096-unit hidden layer must step without an error.
"""

from __future__ import annotations

from conftest import wait_ready
from test_train import fill


def test_a_batch_past_the_einsum_limit_trains_in_the_page(context, site):
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(f"{site}/#/train")
    wait_ready(pg)
    assert 1000 * 784 * 4096 >= 2**31
    fill(pg, hidden="4096", batch_size="1000", epochs="1")
    pg.click("#train-step")
    pg.click("#train-confirm-yes")
    pg.wait_for_function(
        "() => Number(document.querySelector('#train-progress').value) === 1"
        " || document.querySelector('#train-diverged').textContent !== ''",
        timeout=180_000,
    )
    assert pg.inner_text("#train-diverged") == ""
    assert int(pg.evaluate("() => Number(document.querySelector('#train-progress').value)")) == 1
    assert "too large" not in pg.inner_text("#view-train").lower()
    assert pg.errors == []
