#!/usr/bin/env bash
# On a bare machine: install everything, index this repository, and search it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
echo
.venv/bin/nearcode index --yes .   # --yes: also in a copy without .git
echo
echo '$ nearcode search "split an identifier into words"'
.venv/bin/nearcode search "split an identifier into words" -k 3
echo '$ nearcode similar server/nearcode/code/lexical.py:25'
.venv/bin/nearcode similar server/nearcode/code/lexical.py:25 -k 2
