"""A convolutional network in the page: the lesson CNN's step-through (filters, feature maps, the
position the equations show, chosen by clicking or with the keys, and the same numbers as
CPython), Draw's first-layer feature maps and Inspect's filters for the pretrained CNN and an
uploaded one, and the Train form's convolution fields."""

from __future__ import annotations

import digits
import pytest
from conftest import DIST, draw_strokes, wait_ready

from pycore import lesson_cnn, modelfile
from pycore.data import load_subset
from pycore.worker_api import App

VIEW = "[data-testid=step-view]"
EQUATION = f"{VIEW} .step-left .step-equation:not(.numeric) annotation"


def title(pg) -> str:
    return pg.locator(f"{VIEW} .step-title").inner_text()


def open_step(pg, site, hash_: str) -> None:
    pg.goto(f"{site}/{hash_}")
    wait_ready(pg)
    pg.locator(f"{VIEW} .step-title").wait_for(timeout=60_000)


def go_to(pg, kind_title: str, limit: int = 25) -> None:
    for _ in range(limit):
        if kind_title in title(pg):
            return
        pg.click("[data-testid=step-next]")
    raise AssertionError(f"no step titled {kind_title!r}; last was {title(pg)!r}")


def equation(pg) -> str:
    """The LaTeX of the step's equation, as KaTeX keeps it beside the typeset maths."""
    return pg.locator(EQUATION).text_content()


def position(pg) -> list[int]:
    line = pg.locator("[data-testid=step-position]")
    return [int(line.get_attribute(f"data-{k}")) for k in "cij"]


def wait_position(pg, c: int, i: int, j: int) -> None:
    pg.wait_for_function(
        """([c, i, j]) => { const p = document.querySelector('[data-testid=step-position]');
              return p && p.dataset.c === String(c) && p.dataset.i === String(i)
                     && p.dataset.j === String(j); }""",
        arg=[c, i, j],
        timeout=30_000,
    )


def map_canvas(pg, tensor: str):
    return pg.locator(f"{VIEW} figure[data-tensor='{tensor}'] canvas")


def click_cell(pg, tensor: str, c: int, i: int, j: int) -> None:
    """Click the middle of cell (i, j) of map c of a tensor's picture, as a person would."""
    canvas = map_canvas(pg, tensor)
    d = canvas.evaluate(
        "e => ({px: +e.dataset.px, gap: +e.dataset.gap, cols: +e.dataset.cols, w: e.width,"
        " shape: e.dataset.shape.split(',').map(Number)})"
    )
    _, h, w = d["shape"]
    tile_w, tile_h = w * d["px"], h * d["px"]
    x = (c % d["cols"]) * (tile_w + d["gap"]) + (j + 0.5) * d["px"]
    y = (c // d["cols"]) * (tile_h + d["gap"]) + (i + 0.5) * d["px"]
    box = canvas.bounding_box()
    scale = box["width"] / d["w"]
    canvas.click(position={"x": x * scale, "y": y * scale})


def cpython_steps(lr: float, position=None) -> list[dict]:
    """The same lesson step computed by CPython's pycore in this process."""
    app = App(
        (DIST / "data" / "mnist-subset.npz").read_bytes(),
        modelfile.to_bytes_model(lesson_cnn.network()),
    )
    return app.trace_lesson("cnn", 0, lr=lr, position=position)


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    """The lesson's CNN, trained by CPython (3 epochs on 1,000 digits), as a model file."""
    net = lesson_cnn.run(subset=load_subset(DIST / "data" / "mnist-subset.npz"))["network"]
    path = tmp_path_factory.mktemp("cnn") / "lesson-cnn.npz"
    path.write_bytes(modelfile.to_bytes_model(net))
    return path


@pytest.fixture(scope="module")
def mlp_file(tmp_path_factory):
    """A small fully connected network (untrained) as a model file: it has no feature maps."""
    from pycore import Network

    path = tmp_path_factory.mktemp("mlp") / "mlp.npz"
    path.write_bytes(modelfile.to_bytes_model(Network.build([784, 16, 10], ["relu", "softmax"])))
    return path


PRETRAINED_FIRST = modelfile.load(DIST / "models" / "default.npz")[0].layers[0]


def upload(pg, site, path) -> None:
    pg.goto(f"{site}/#/models")
    wait_ready(pg)
    pg.set_input_files("#model-upload", str(path))
    pg.wait_for_function(
        "() => (document.querySelector('#models-message').textContent || '').includes('Loaded')"
    )


def test_the_lesson_cnn_step_through_shows_filters_feature_maps_and_pooling(page):
    page.click("[data-testid=lesson-cnn]")
    page.locator(f"{VIEW} .step-title").wait_for(timeout=60_000)
    assert "The input image" in title(page)
    assert map_canvas(page, "forward.0.x").get_attribute("data-shape") == "1,28,28"
    go_to(page, "convolution")
    assert map_canvas(page, "forward.0.W").get_attribute("data-filters") == "0"
    assert map_canvas(page, "forward.0.z").get_attribute("data-shape") == "8,26,26"
    # The feature maps are painted: more than one colour on the canvas.
    colours = map_canvas(page, "forward.0.z").evaluate(
        """e => { const d = e.getContext('2d').getImageData(0, 0, e.width, e.height).data;
                  const seen = new Set();
                  for (let k = 0; k < d.length; k += 4) seen.add(d[k] << 16 | d[k+1] << 8 | d[k+2]);
                  return seen.size; }"""
    )
    assert colours > 50
    c, i, j = position(page)
    assert f"z[{c},{i},{j}]" in equation(page)
    go_to(page, "activation")
    assert map_canvas(page, "forward.0.a").count() == 1
    go_to(page, "max-pool")
    assert map_canvas(page, "forward.1.a").get_attribute("data-shape") == "8,13,13"
    assert "winner" in page.locator(f"{VIEW} figure[data-tensor='forward.1.x']").inner_text()
    go_to(page, "flatten")
    assert page.locator(f"{VIEW} figure[data-tensor='forward.2.a'] canvas.cnn-flat").count() == 1
    go_to(page, "dL/dK")
    assert map_canvas(page, "backward.0.dW").get_attribute("data-filters") == "0"
    go_to(page, "dL/d(the input image)")
    assert map_canvas(page, "backward.0.dx").get_attribute("data-shape") == "1,28,28"
    go_to(page, "update of the filters")
    for key in ("forward.0.W", "update.0.W", "update.0.dW_step"):
        assert map_canvas(page, key).get_attribute("data-filters") == "0"
    assert not page.errors


def test_clicking_a_feature_map_or_moving_with_the_keys_changes_the_equations_position(page, site):
    open_step(page, site, "#/step/lesson/cnn/step/2")
    lr = float(page.locator("[data-testid=step-lr]").input_value())
    click_cell(page, "forward.0.z", 2, 3, 4)
    wait_position(page, 2, 3, 4)
    assert "Step 2 of" in title(page)
    expected = cpython_steps(lr, [2, 3, 4])["steps"][1]["equation"]
    assert expected.startswith("z[2,3,4]")
    assert equation(page) == expected
    # The keys: the focused map walks one column right and asks for that position.
    map_canvas(page, "forward.0.z").focus()
    page.keyboard.press("ArrowRight")
    wait_position(page, 2, 3, 5)
    assert "z[2,3,5]" in equation(page)
    assert "Step 2 of" in title(page)  # the arrow moved within the map, not to another step
    # A click on a pooled map picks the winner of its window.
    page.click("[data-testid=step-next]")
    page.click("[data-testid=step-next]")
    assert "max-pool" in title(page)
    click_cell(page, "forward.1.a", 6, 5, 5)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=step-position]').dataset.c === '6'"
    )
    assert position(page) == [6, 5, 5]
    assert "a[6,5,5]" in equation(page)
    assert not page.errors


def test_the_cnn_trace_in_the_page_equals_cpython(page, site):
    open_step(page, site, "#/step/lesson/cnn/step/1")
    lr = float(page.locator("[data-testid=step-lr]").input_value())
    trace = cpython_steps(lr)
    steps = trace["steps"]
    assert int(page.locator("[data-testid=step-counter]").inner_text().split()[-1]) == len(steps)
    for n, step in enumerate(steps):
        if "position" not in step:  # the CNN steps, whose equations carry a position's numbers
            continue
        page.locator(f".step-timeline button[data-index='{n}']").click()
        page.wait_for_function(
            "t => document.querySelector('.step-view .step-title').textContent.endsWith(t)",
            arg=step["title"],
        )
        assert equation(page) == step["equation"], step["title"]
    # Full-precision values: the position's feature-map value (the detail of the focused map)
    # and every dL/db.
    page.locator(".step-timeline button[data-index='1']").click()
    map_canvas(page, "forward.0.z").focus()
    pos = steps[1]["position"]
    z = trace["tensors"]["forward.0.z"]["data"].reshape(8, 26, 26)[pos["c"], pos["i"], pos["j"]]
    detail = page.locator(f"{VIEW} figure[data-tensor='forward.0.z'] .step-detail").inner_text()
    assert detail.startswith(f"z1[{pos['c']}, {pos['i']}, {pos['j']}] = ")
    assert float(detail.split("= ")[1]) == pytest.approx(float(z), rel=1e-5)
    dK = next(n for n, s in enumerate(steps) if s["kind"] == "conv_dK")
    page.locator(f".step-timeline button[data-index='{dK}']").click()
    shown = page.locator(f"{VIEW} figure[data-tensor='backward.0.db'] .value").all_inner_texts()
    db = trace["tensors"]["backward.0.db"]["data"]
    assert [float(v) for v in shown] == pytest.approx([float(v) for v in db], rel=1e-5, abs=1e-9)


def draw_digits(page, labels) -> list[float]:
    """Draw held-out digits one after another; the round-trip time of each final answer."""
    times = []
    for label in labels:
        page.click("[data-testid=clear]")
        _, strokes = digits.digit(label)
        draw_strokes(page, strokes)
        page.wait_for_function(
            "() => document.querySelector('#announce').textContent.startsWith('Prediction')",
            timeout=20_000,
        )
        times.append(float(page.get_attribute("#timing", "data-round-trip-ms")))
    return sorted(times)


def inked_maps(page) -> list[int]:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=feature-maps] canvas')].map((e) => {
              const d = e.getContext('2d').getImageData(0, 0, e.width, e.height).data;
              let n = 0; for (let k = 0; k < d.length; k += 4) if (d[k] < 240 || d[k+2] < 240) n++;
              return n; })"""
    )


def test_draw_shows_the_first_layers_feature_maps_of_the_cnn_in_use(page, site, cnn_file, mlp_file):
    # The pretrained network is a CNN: its first convolution's maps for the drawing, quickly.
    times = draw_digits(page, (0, 3, 7))
    maps = page.locator("[data-testid=feature-maps]")
    assert maps.is_visible()
    c, h, w = PRETRAINED_FIRST.output_shape((1, 28, 28))
    assert maps.get_attribute("data-shape") == f"{c},{h},{w}"
    assert page.locator("[data-testid=feature-maps] canvas").count() == c
    assert sum(n > 20 for n in inked_maps(page)) >= c // 2
    print(f"pretrained CNN draw-to-prediction round trip: {times}")
    assert times[len(times) // 2] <= 50
    # An uploaded CNN shows its own maps; a fully connected network has none to show.
    upload(page, site, cnn_file)
    page.goto(f"{site}/#/draw")
    draw_digits(page, (0,))
    assert maps.get_attribute("data-shape") == "8,26,26"
    assert all(n > 20 for n in inked_maps(page))
    upload(page, site, mlp_file)
    page.goto(f"{site}/#/draw")
    draw_digits(page, (0,))
    assert maps.is_hidden()
    assert not page.errors


def test_inspect_shows_the_filters_of_the_cnn_in_use(page, site, cnn_file, mlp_file):
    page.goto(f"{site}/#/inspect")
    c = PRETRAINED_FIRST.c_out
    page.wait_for_function(
        "c => document.querySelector('#weights-shape').textContent.startsWith(`K1: ${c} `)",
        arg=c,
    )
    assert page.get_attribute("#weights", "data-filters") == str(c)
    upload(page, site, cnn_file)
    page.goto(f"{site}/#/inspect")
    page.wait_for_function(
        "() => document.querySelector('#weights-shape').textContent.startsWith('K1: 8 ')"
    )
    assert page.inner_text("#weights-shape").startswith("K1: 8 filters of 3×3")
    assert page.get_attribute("#weights", "data-filters") == "8"
    assert "filter" in page.inner_text("#weights-help")
    # A fully connected network: its 28x28 weight tiles and words instead.
    upload(page, site, mlp_file)
    page.goto(f"{site}/#/inspect")
    page.wait_for_function(
        "() => document.querySelector('#weights-shape').textContent.startsWith('W1:')"
    )
    assert "784 incoming weights" in page.inner_text("#weights-help")


def test_the_train_form_offers_convolutions_and_a_cnn_trains(page, site):
    page.goto(f"{site}/#/train")
    page.wait_for_function("() => !document.querySelector('#view-train').hidden")
    page.wait_for_function("() => document.querySelector('#f-conv') !== null")
    assert page.inner_text("label[for=f-conv]") == "Convolutions"
    assert page.inner_text("label[for=f-kernel]") == "Kernel size"
    page.select_option("#preset", "cnn-lesson")
    assert page.input_value("#f-conv") == "8"
    assert page.input_value("#f-kernel") == "3"
    page.fill("#f-kernel", "9")
    page.click("#train-start")
    page.click("#train-confirm-yes")
    page.locator("#e-kernel").wait_for(state="visible")
    assert page.get_attribute("#f-kernel", "aria-invalid") == "true"
    page.fill("#f-kernel", "3")
    page.fill("#f-epochs", "1")
    page.click("#train-start")
    page.click("#train-confirm-yes")
    page.wait_for_function(
        "() => Number(document.querySelector('#train-progress').value) > 50", timeout=60_000
    )
    page.click("#train-stop")
    page.goto(f"{site}/#/models")
    page.wait_for_function(
        "() => document.querySelector('#model-info').dataset.sizes === '784,5408,1352,1352,10'"
    )
    assert not page.errors
