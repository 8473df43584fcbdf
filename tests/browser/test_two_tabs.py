"""Two tabs, one truth (issue 13): My digits follows the stored collection, "Delete all" states and
deletes what the store holds, and Export exports the store."""

from __future__ import annotations

from conftest import wait_ready
from digits import held_out

from pycore.mydigits import collection_from_bytes, collection_to_bytes


def _tab(context, site):
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(site + "/#/mine")
    wait_ready(pg)
    pg.wait_for_selector("#view-mine[data-loaded=true]", timeout=20_000)
    return pg


def _wait_count(pg, n):
    pg.wait_for_function(
        "(n) => document.querySelector('[data-testid=mine-grid]').dataset.count === String(n)",
        arg=n,
        timeout=20_000,
    )


def _file(tmp_path, name, start, count):
    pixels, labels = held_out()
    path = tmp_path / name
    path.write_bytes(
        collection_to_bytes(pixels[start : start + count], labels[start : start + count])
    )
    return path


def test_two_tabs_see_one_collection_delete_all_and_export_what_is_stored(context, site, tmp_path):
    a, b = _tab(context, site), _tab(context, site)
    # A adds five digits: B, showing none, follows without a reload.
    a.set_input_files("[data-testid=mine-import]", str(_file(tmp_path, "five.npz", 0, 5)))
    _wait_count(a, 5)
    _wait_count(b, 5)

    # B's Export holds what the store holds, whatever B showed last.
    a.set_input_files("[data-testid=mine-import]", str(_file(tmp_path, "two.npz", 5, 2)))
    _wait_count(a, 7)
    with b.expect_download() as download:
        b.click("[data-testid=mine-export]")
    path = tmp_path / "exported.npz"
    download.value.save_as(path)
    assert len(collection_from_bytes(path.read_bytes())[1]) == 7

    # "Delete all" in B states the stored number; if A adds more before B confirms, B asks again.
    b.click("[data-testid=mine-clear-all]")
    b.wait_for_function(
        "() => /Delete all 7 digits\\?/.test(document.querySelector('#view-mine').innerText)"
    )
    a.set_input_files("[data-testid=mine-import]", str(_file(tmp_path, "three.npz", 7, 3)))
    _wait_count(a, 10)
    b.click("[data-testid=mine-clear-confirm]")
    b.wait_for_function(
        "() => /changed in another tab\\. Delete all 10 digits\\?/"
        ".test(document.querySelector('#view-mine').innerText)"
    )
    b.click("[data-testid=mine-clear-confirm]")
    _wait_count(b, 0)
    b.wait_for_function(
        "() => /Deleted 10 digits\\./.test(document.querySelector('#view-mine').innerText)"
    )
    _wait_count(a, 0)
    assert a.errors == [] and b.errors == []
