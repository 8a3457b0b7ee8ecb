#!/usr/bin/env bash
# On a bare machine: install what the tests need, then run the whole suite: Python unit and
# end-to-end tests (pytest-lsp, headless Neovim), the extension's unit tests, and the VS Code
# end-to-end test in code-server. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
# a missing Neovim or PostgreSQL (pgserver) fails the tests that need it instead of skipping
export NEARCODE_REQUIRE_CLIENTS=1 NEARCODE_REQUIRE_PG=1
echo; echo "== ruff, mypy"
.venv/bin/ruff check .
.venv/bin/mypy server/nearcode
echo; echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider
echo; echo "== extension unit tests"
(cd client-vscode && npm test --silent)
echo; echo "== VS Code end-to-end (code-server + Playwright)"
client-vscode/scripts/e2e.sh
echo; echo "all tests passed"
