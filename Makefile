# Every target calls a script in scripts/; see README.md.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: setup data model site serve test test-fast test-browser lint bench clean

setup:
	./scripts/setup.sh

data: setup
	$(PY) scripts/build_data.py

# SKIP_MODEL=1 reuses the model already in dist/ (while editing the recipe, to iterate on the page).
site: setup
	$(PY) scripts/build_site.py $(if $(SKIP_MODEL),--skip-model)

# Serving needs no browser: skip installing Chromium (the tests install it).
serve: export SKIP_BROWSER := 1
serve: site
	$(PY) scripts/serve.py --host $(HOST) --port $(PORT)

# Everything CI runs: library tests (slow training tests included), build checks and browser tests.
test: site
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick loop: no slow training and no browser.
test-fast: setup
	$(PY) -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

test-browser: site
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check pycore scripts tests
	$(PY) -m ruff format --check pycore scripts tests

bench: site
	$(PY) scripts/bench_train.py
	$(PY) scripts/bench_page.py

clean:
	rm -rf dist build *.egg-info
