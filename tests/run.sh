#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run them.
# Usage: bash tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# uv resolves and installs the same releases as pip, in parallel: about 4 s on a fresh
# clone against pip's 55 s, which was a sixth of the CI run. pip stays the fallback.
# --compile-bytecode (pip's default; uv's is not to): where PYTHONDONTWRITEBYTECODE is
# set, as on the CI machine, nothing ever writes a .pyc, so every process the tests
# start (CLI commands, servers, workers) compiled numpy, litestar, WeasyPrint... again
# from source: 5 s of CPU to import survey.app against 1.8 s. Compiling once here
# costs about 25 s on two cores; it halved the CPU of tests/test_cli.py and
# tests/export/test_export_cli.py (106 s to 53 s).
if .venv/bin/python -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1; then
  .venv/bin/python -m uv pip install -q --compile-bytecode --python .venv/bin/python -e '.[test]'
else
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test]'
fi

# Browser tests run in Debian's Chromium with axe-core from npm; they skip
# cleanly where no Chromium can be installed.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will skip"
fi
# PDF reports: WeasyPrint needs Pango; the PDF test renders pages with pdftoppm (poppler-utils).
if { ! command -v pdftoppm >/dev/null || ! ldconfig -p | grep -q libpangoft2-1.0; } && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 poppler-utils >/dev/null) || echo "pango/poppler not installed: PDF tests cannot run"
fi
if command -v npm >/dev/null && [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm install --no-save --no-audit --no-fund --silent axe-core@4 >/dev/null || echo "axe-core not installed: accessibility audits will skip"
fi

.venv/bin/python -m ruff check survey analysis tests
.venv/bin/python -m mypy
# Two processes, each with its own embedded PostgreSQL; a file stays in one process
# (its module fixtures are built once). `-n 0` runs everything in this process.
exec .venv/bin/python -m pytest -q -n auto --dist loadfile "$@"
