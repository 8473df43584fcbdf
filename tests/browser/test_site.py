"""The site as a whole: nothing leaves the origin, and it works offline after one visit."""

from __future__ import annotations

from urllib.parse import urlparse

from conftest import draw_strokes, wait_ready
from digits import held_out, strokes_for


def _predict_a_real_digit(pg) -> tuple[int, str]:
    pixels, labels = held_out()
    pg.click("[data-testid=clear]")
    draw_strokes(pg, strokes_for(pixels[0]))
    label = int(labels[0])
    pg.wait_for_function(
        "() => document.querySelector('[data-testid=prediction]').textContent.trim() !== ''",
        timeout=20_000,
    )
    return label, pg.inner_text("[data-testid=prediction]").strip()


def test_every_request_stays_on_the_local_origin(context, site):
    origin = urlparse(site).netloc
    seen, foreign = [], []

    def check(route):
        url = route.request.url
        seen.append(url)
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob"):
            route.continue_()
        elif parsed.netloc != origin:
            foreign.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", check)
    pg = context.new_page()
    pg.goto(site + "/")
    wait_ready(pg)
    label, shown = _predict_a_real_digit(pg)
    assert shown == str(label)
    assert len(seen) > 5, "the route did not see the page's requests"
    assert foreign == [], f"requests left the origin: {foreign}"


def test_reload_with_the_network_off_still_works(context, site):
    pg = context.new_page()
    pg.goto(site + "/")
    wait_ready(pg)
    # The service worker has cached the whole site once the page says so.
    pg.wait_for_function("() => document.body.dataset.offline === 'ready'", timeout=60_000)
    context.set_offline(True)
    try:
        pg.reload()
        wait_ready(pg)
        assert pg.evaluate("() => navigator.serviceWorker.controller !== null")
        label, shown = _predict_a_real_digit(pg)
        assert shown == str(label)
    finally:
        context.set_offline(False)
