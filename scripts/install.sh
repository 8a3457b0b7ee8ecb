#!/usr/bin/env bash
# Install nearcode into ./.venv and build the VS Code extension; with --test, also what the
# tests need (dev Python packages, Neovim, Chromium, code-server, the MCP Inspector).
# Idempotent: safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

say() { printf '\n== %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

say "Python environment (.venv)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# torch first and pinned: the CPU build lies on local disk; anything unpinned pulls a multi-GB
# CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
if [ "$with_tests" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi
# nearcode's own modules compiled now: an editable install leaves that to the first run, and
# where PYTHONDONTWRITEBYTECODE is set (many container images) every run would compile them
# again (~140 ms of each `nearcode search` without a server)
.venv/bin/python -m compileall -q server/nearcode >/dev/null

if command -v npm >/dev/null 2>&1; then
  say "VS Code extension (client-vscode)"
  client-vscode/scripts/build.sh
else
  say "npm not found: skipping the VS Code extension build"
fi

if [ "$with_tests" = 1 ]; then
  apt_install neovim chromium libkrb5-dev build-essential
  say "VS Code end-to-end tools (code-server, playwright-core)"
  E2E_INSTALL_ONLY=1 client-vscode/scripts/e2e.sh
  say "MCP Inspector CLI (tests/clients/mcp-inspector, pinned; with Node 24 where Node is older)"
  inspector=tests/clients/mcp-inspector
  if [ ! -f $inspector/node_modules/.package-lock.json ] \
      || [ $inspector/package-lock.json -nt $inspector/node_modules/.package-lock.json ]; then
    # `npm install` from the lock, not `npm ci`: vite's optional napi-windows-process-start-time
    # is not on the registry, and `npm ci` refuses a lock without it
    (cd $inspector && npm install --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
fi
