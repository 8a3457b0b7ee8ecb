#!/usr/bin/env sh
# Build the extension from a clean checkout: install the locked dependencies, type-check, bundle,
# package. Works offline once npm's cache holds the packages. Output: dist/nearcode.vsix.
#   SKIP_NPM_CI=1  keep node_modules as they are (e.g. when e2e.sh already ran npm ci)
set -eu
cd "$(dirname "$0")/.."

if [ "${SKIP_NPM_CI:-0}" != 1 ]; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi
npx tsc --noEmit -p .
npm run --silent bundle
npx vsce package --no-dependencies --out dist/nearcode.vsix
