#!/usr/bin/env bash
# Runs every test of lambda-adapter, first installing the peers the tests need when they are missing:
# curl, cargo-lambda's emulator (PyPI), Python WebSocket and AWS clients, Node.js with playwright-core and
# Debian's Chromium for the browser tests. No test skips because a peer is absent: this script installs it,
# and a test whose peer is still missing fails and says which.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing_debs=()
command -v curl >/dev/null 2>&1 || missing_debs+=(curl)
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
command -v node >/dev/null 2>&1 || missing_debs+=(nodejs)
command -v npm >/dev/null 2>&1 || missing_debs+=(npm)
if ((${#missing_debs[@]})); then
  say "installing Debian packages: ${missing_debs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if ! cargo lambda --version >/dev/null 2>&1 || ! "$python" -c 'import websockets, boto3, botocore' >/dev/null 2>&1; then
  say "installing Python peers: cargo-lambda websockets boto3"
  "$python" -m pip install -q --disable-pip-version-check cargo-lambda websockets boto3 2>&1 | grep -v -i "running pip as the 'root' user" || true
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
cargo lambda --version >/dev/null || { echo "cargo-lambda is still missing after pip install" >&2; exit 1; }

if [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  say "installing playwright-core (drives Debian's Chromium; no browser download)"
  (cd tests/browser && npm install --no-audit --no-fund --silent)
fi

say "cargo test"
cargo test -- --test-threads="${TEST_THREADS:-4}"

if grep -q '^name = "adapter"' Cargo.toml 2>/dev/null; then
  say "benchmark smoke run"
  cargo bench --bench adapter -- --short
fi
