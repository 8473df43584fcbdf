# Every target calls a script in scripts/; see README.md.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: setup data model site serve test test-fast test-js test-browser lint bench clean

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

# Everything CI runs: the page's pure helpers (Node's test runner), library tests (slow training
# tests included), build checks and browser tests. pytest runs last so its summary ends the output.
test: site
	node --test tests/js/
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick loop: the page's helpers, no slow training and no browser.
test-fast: setup
	node --test tests/js/
	$(PY) -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

test-js:
	node --test tests/js/

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
