#!/usr/bin/env bash
# End-to-end test in a real VS Code: code-server (from npm) with the packaged .vsix installed,
# driven by Playwright (playwright-core + Debian's Chromium, headless), on a fresh copy of
# test/fixtures/workspace, against the real `nearcode serve` of this repository.
#
# Installs what it needs, idempotently (cached under $NEARCODE_E2E_CACHE):
#   - npm dependencies of client-vscode (npm ci, when node_modules is missing or stale)
#   - code-server 4.100.3 on the machine's Node 20 (npm, with the three workarounds:
#     --unsafe-perm, npm_config_yes=true, @vscode/ripgrep's download cache filled from Debian's rg)
#   - Debian's chromium (apt-get install -y chromium, when /usr/bin/chromium is missing and we
#     are root)
# Then builds and packages the extension (and test/e2e/lm-tool-caller, a test-only extension that
# calls nearcode's language-model tools through vscode.lm.invokeTool), starts code-server on
# 127.0.0.1 with fresh user-data and extension folders, runs test/e2e/drive.js, and stops
# code-server's whole process group.
# Screenshots and logs: test-output/e2e/.
#
# Environment:
#   NEARCODE_E2E_CACHE   install cache (default ~/.cache/nearcode-e2e)
#   NEARCODE_SERVER      server command (default <repo>/.venv/bin/nearcode)
#   NEARCODE_E2E_MODEL   model for the server (default "fake": deterministic and fast)
#   PORT                 code-server port (default: a free one)
#   E2E_INSTALL_ONLY=1   install and build, run nothing
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE=${NEARCODE_E2E_CACHE:-$HOME/.cache/nearcode-e2e}
CS_VERSION=4.100.3
CS_DIR=$CACHE/code-server-$CS_VERSION
CS=$CS_DIR/node_modules/.bin/code-server
# What code-server 4.100.3's @vscode/ripgrep postinstall looks for in its download cache.
RG_CACHE_VERSION=1.15.11
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SERVER=${NEARCODE_SERVER:-$REPO/.venv/bin/nearcode}
MODEL=${NEARCODE_E2E_MODEL:-fake}
OUT=$HERE/test-output/e2e

t0=$(date +%s)
log() { printf '[e2e %3ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

# --- installs -----------------------------------------------------------------------------------

install_npm_deps() {
  cd "$HERE"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --prefer-offline --no-audit --no-fund --loglevel=error
  fi
}

apt_install() {
  # apt_install PACKAGE...: as root, install what is missing; otherwise say what to install.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "$@" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "$@" >/dev/null; }
  else
    echo "e2e: please install the Debian packages: $*" >&2
    exit 2
  fi
}

install_chromium() {
  if [ -x "$CHROMIUM" ]; then
    return
  fi
  apt_install chromium
  [ -x "$CHROMIUM" ] || { echo "e2e: $CHROMIUM is missing; install Debian's chromium (apt-get install -y chromium)" >&2; exit 2; }
}

fill_ripgrep_cache() {
  # @vscode/ripgrep downloads rg from GitHub at install time; give it Debian's rg instead.
  local dir=$CACHE/tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION
  [ -f "$dir/$RG_ASSET" ] && return
  mkdir -p "$dir"
  local rg
  rg=$(command -v rg || true)
  if [ -z "$rg" ]; then
    local deb=$CACHE/ripgrep-deb
    mkdir -p "$deb"
    if ! ls "$deb"/ripgrep_*.deb >/dev/null 2>&1; then
      log "apt-get download ripgrep"
      (cd "$deb" && apt-get download ripgrep >/dev/null 2>&1) \
        || { [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null && (cd "$deb" && apt-get download ripgrep >/dev/null); }
    fi
    dpkg -x "$deb"/ripgrep_*.deb "$deb/x"
    rg=$deb/x/usr/bin/rg
  fi
  tar czf "$dir/$RG_ASSET" -C "$(dirname "$rg")" rg
}

install_code_server() {
  if [ -x "$CS" ] && "$CS" --version 2>/dev/null | grep -q "^$CS_VERSION"; then
    return
  fi
  # code-server builds native modules: kerberos needs the GSSAPI headers, node-pty a compiler.
  [ -f /usr/include/gssapi/gssapi.h ] || apt_install libkrb5-dev
  command -v g++ >/dev/null && command -v make >/dev/null || apt_install build-essential
  fill_ripgrep_cache
  log "npm install code-server@$CS_VERSION (1-2 minutes)"
  mkdir -p "$CS_DIR"
  [ -f "$CS_DIR/package.json" ] || echo '{"private":true}' > "$CS_DIR/package.json"
  (cd "$CS_DIR" && TMPDIR=$CACHE/tmp npm_config_yes=true \
    npm install --unsafe-perm --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION")
  "$CS" --version >/dev/null
}

install_npm_deps
install_chromium
install_code_server
log "installs done"

cd "$HERE"
SKIP_NPM_CI=1 sh scripts/build.sh >/dev/null
log "built dist/nearcode.vsix"
# A second, test-only extension calls nearcode's language-model tools through vscode.lm.
mkdir -p "$HERE/test-output"
(cd test/e2e/lm-tool-caller && "$HERE/node_modules/.bin/vsce" package --no-dependencies --skip-license \
  --out "$HERE/test-output/lm-tool-caller.vsix" >/dev/null)
[ "${E2E_INSTALL_ONLY:-0}" = 1 ] && exit 0

[ -x "$SERVER" ] || { echo "e2e: the server $SERVER is missing (set NEARCODE_SERVER)" >&2; exit 2; }

# --- run ----------------------------------------------------------------------------------------

RUN=$(mktemp -d "${TMPDIR:-/tmp}/nearcode-e2e-XXXXXX")
rm -rf "$OUT"
mkdir -p "$OUT"
cp -r test/fixtures/workspace "$RUN/workspace"
export XDG_CONFIG_HOME=$RUN/xdg/config XDG_DATA_HOME=$RUN/xdg/data XDG_CACHE_HOME=$RUN/xdg/cache XDG_STATE_HOME=$RUN/xdg/state
# The index is the run's own (nearcode.dbPath below); the server's cache (e.g. the real model's
# one-time ONNX export, ~15 s) is kept between runs, apart from the user's.
export NEARCODE_CACHE_DIR=$CACHE/nearcode-cache HF_HUB_OFFLINE=1
mkdir -p "$RUN/udd/User"
node -e '
  const [file, server, model, db] = process.argv.slice(1);
  require("fs").writeFileSync(file, JSON.stringify({
    "workbench.startupEditor": "none", "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true, "telemetry.telemetryLevel": "off", "update.mode": "none",
    "workbench.enableExperiments": false, "workbench.tips.enabled": false,
    "security.workspace.trust.enabled": false, "chat.disableAIFeatures": true,
    "workbench.colorTheme": "Default Dark Modern",
    "nearcode.server.command": [server, "serve"], "nearcode.model": model, "nearcode.dbPath": db, "nearcode.trace.server": "messages",
  }, null, 2));
' "$RUN/udd/User/settings.json" "$SERVER" "$MODEL" "$RUN/index.db"

ARGS=(--user-data-dir "$RUN/udd" --extensions-dir "$RUN/ext" --disable-telemetry --disable-update-check
      --disable-workspace-trust --disable-getting-started-override)
"$CS" "${ARGS[@]}" --install-extension "$HERE/dist/nearcode.vsix" >"$OUT/install-extension.log" 2>&1
"$CS" "${ARGS[@]}" --install-extension "$HERE/test-output/lm-tool-caller.vsix" >>"$OUT/install-extension.log" 2>&1
log "installed the .vsix (and the test extension that invokes the language-model tools)"
# where the test extension writes what vscode.lm.invokeTool returned (the extension host
# inherits code-server's environment)
export NEARCODE_E2E_TOOL_OUT=$OUT/lm-tools.json

PORT=${PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
setsid "$CS" "${ARGS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none "$RUN/workspace" >"$OUT/code-server.log" 2>&1 &
CSPID=$!
stop_code_server() {
  # code-server keeps extension hosts (and through them nearcode serve) alive: end the group.
  kill -TERM -- "-$CSPID" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 -- "-$CSPID" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$CSPID" 2>/dev/null || true
  # The extension host's log has the nearcode output channel and the server's messages.
  find "$RUN/udd/logs" -name '*nearcode*' -exec cp {} "$OUT/" \; 2>/dev/null || true
}
trap 'stop_code_server; echo "e2e: FAILED; logs in $OUT, run folder kept: $RUN" >&2' EXIT
for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
log "code-server up on 127.0.0.1:$PORT (pid group $CSPID)"

CS_URL="http://127.0.0.1:$PORT/?folder=$RUN/workspace" E2E_OUT=$OUT E2E_WORKSPACE=$RUN/workspace CHROMIUM=$CHROMIUM \
  E2E_TOOL_OUT=$NEARCODE_E2E_TOOL_OUT \
  node test/e2e/drive.js
stop_code_server
trap - EXIT
rm -rf "$RUN"
log "E2E OK; screenshots in $OUT"
