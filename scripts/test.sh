#!/usr/bin/env bash
# Runs every test of lambda-adapter, first installing the peers the tests need when they are missing:
# curl, Debian's Chromium, Node.js with playwright-core for the browser tests, Go (the deployment examples'
# net/http server), and cargo-lambda's emulator, the Python WebSocket and AWS clients, cfn-lint, moto's server (the
# AWS API emulator `deploy` is tested against) and the SAM CLI (`init`'s projects) (PyPI) in a
# virtual environment this script owns (target/test-peers/venv), never in the global interpreter. No test skips because a peer is absent: this
# script installs it, and an install that fails stops here, naming what is missing.
#
#   scripts/test.sh [--peers-only]   --peers-only: install what the tests need, then stop
#
#   FUZZ_SECONDS=N      how long each fuzz target runs (default 20; 0 skips the fuzz smoke run)
#   TEST_THREADS=N      cargo test's threads (default 4)
#   PYTHON=python3      the interpreter that creates the virtual environment
#   TEST_PEERS_VENV=DIR where the virtual environment goes (default target/test-peers/venv)
set -euo pipefail
cd "$(dirname "$0")/.."

peers_only=false
case "${1:-}" in
  "") ;;
  --peers-only) peers_only=true ;;
  *) printf 'scripts/test.sh: unknown argument %s (the only one is --peers-only)\n' "$1" >&2; exit 2 ;;
esac

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nscripts/test.sh: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

python=${PYTHON:-python3}
venv=${TEST_PEERS_VENV:-$PWD/target/test-peers/venv}

missing_debs=()
command -v curl >/dev/null 2>&1 || missing_debs+=(curl)
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
command -v node >/dev/null 2>&1 || missing_debs+=(nodejs)
command -v npm >/dev/null 2>&1 || missing_debs+=(npm)
command -v go >/dev/null 2>&1 || missing_debs+=(golang-go)
command -v "$python" >/dev/null 2>&1 || missing_debs+=(python3)
# `sam build` runs the projects' Makefiles; `unshare -n` runs it without network.
command -v make >/dev/null 2>&1 || missing_debs+=(make)
command -v unshare >/dev/null 2>&1 || missing_debs+=(util-linux)
# Debian's python3 builds its virtual environments with python3-venv (ensurepip).
if [ ! -x "$venv/bin/python" ] && ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing_debs+=(python3-venv)
fi
if ((${#missing_debs[@]})); then
  say "installing Debian packages: ${missing_debs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null \
    || die "apt-get could not install: ${missing_debs[*]}"
fi

python_peers=(cargo-lambda websockets boto3 cfn-lint 'moto[server]' aws-sam-cli)
if [ ! -x "$venv/bin/python" ]; then
  say "creating the test peers' virtual environment in $venv"
  "$python" -m venv "$venv" || die "cannot create a virtual environment with $python (is python3-venv installed?)"
fi
if ! "$venv/bin/python" -c 'import websockets, boto3, botocore' >/dev/null 2>&1 || [ ! -x "$venv/bin/cargo-lambda" ] \
  || [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/sam" ]; then
  say "installing Python peers into $venv: ${python_peers[*]}"
  # One package at a time, so that a failure names the package.
  for package in "${python_peers[@]}"; do
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$package" \
      || die "pip could not install $package into $venv"
  done
fi
# The tests run `python3` and `cargo lambda`: both come from the virtual environment.
export PATH="$venv/bin:$PATH"
cargo lambda --version >/dev/null 2>&1 || die "cargo-lambda is missing from $venv/bin after pip install"
python3 -c 'import websockets, boto3, botocore' 2>/dev/null || die "websockets or boto3 is missing from $venv"

if [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  say "installing playwright-core (drives Debian's Chromium; no browser download)"
  (cd tests/browser && npm install --no-audit --no-fund --silent) || die "npm could not install playwright-core"
fi

if $peers_only; then
  say "the test peers are installed (Python peers in $venv)"
  exit 0
fi

# With the `deploy` feature: one build of everything, `deploy`/`init` and their tests (tests/deploy_cli.rs)
# included; the adapter users ship is built without it by scripts/build-static.sh.
# On CI (a fresh clone, built once): no incremental caches, which would only cost disk and time.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
say "cargo test --features deploy"
cargo test --features deploy --no-fail-fast -- --test-threads="${TEST_THREADS:-4}"

if [ "${FUZZ_SECONDS:-20}" != 0 ]; then
  say "fuzz smoke run (${FUZZ_SECONDS:-20} s per target)"
  FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh
fi

if grep -q '^name = "adapter"' Cargo.toml 2>/dev/null; then
  say "benchmark smoke run"
  # With the counting allocator, so the smoke run also checks that allocations per invocation are measured.
  cargo bench --bench adapter --features count-allocations -- --short
fi
