#!/usr/bin/env bash
# Lays out lambda-adapter as a Lambda layer, for zip functions:
#
#   scripts/build-layer.sh [--arch x86_64|aarch64] [--zip FILE] DIR
#
#   DIR/extensions/lambda-adapter   the static binary (scripts/build-static.sh): Lambda extracts a layer into
#                                   /opt and starts every executable in /opt/extensions/ as an extension
#   DIR/bootstrap                   the exec wrapper: with AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap on a managed
#                                   runtime (python3.12, nodejs22.x, java21, ...) Lambda runs it instead of
#                                   the runtime; it runs ${LAMBDA_TASK_ROOT}/${_HANDLER} (the function's
#                                   Handler, a script such as run.sh that starts the web app) and nothing else,
#                                   through a second exec wrapper when LWA_CHAIN_EXEC_WRAPPER names one
#                                   (its source: layer/bootstrap, which `deploy` builds into its layer too)
#
# --zip FILE also writes the layer's zip, for `aws lambda publish-layer-version --zip-file fileb://FILE`.
# --arch picks the layer's architecture (default: this machine's); the layer must be published with the
# matching --compatible-architectures (x86_64 or arm64). On provided.al2023 the wrapper is not needed: the
# web app itself is the function's bootstrap, and the layer only contributes the extension.
#
# SAM builds it from source with `BuildMethod: makefile` (see examples/zip-layer/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() { printf 'scripts/build-layer.sh: %s\n' "$*" >&2; exit 1; }
usage="usage: scripts/build-layer.sh [--arch x86_64|aarch64] [--zip FILE] DIR"

arch_args=() zip= dir=
while (($#)); do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs a value: x86_64 or aarch64"; arch_args=(--arch "$2"); shift 2 ;;
    --arch=*) arch_args=(--arch "${1#--arch=}"); shift ;;
    --zip) [ $# -ge 2 ] || die "--zip needs a file name"; zip=$2; shift 2 ;;
    --zip=*) zip=${1#--zip=}; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) die "unknown option '$1' ($usage)" ;;
    *) [ -z "$dir" ] || die "one DIR only ($usage)"; dir=$1; shift ;;
  esac
done
[ -n "$dir" ] || die "$usage"

binary=$("$here/build-static.sh" "${arch_args[@]}")

mkdir -p "$dir/extensions"
install -m 0755 "$binary" "$dir/extensions/lambda-adapter"
install -m 0755 "$here/../layer/bootstrap" "$dir/bootstrap"

if [ -n "$zip" ]; then
  case "$zip" in /*) ;; *) zip="$PWD/$zip" ;; esac
  mkdir -p "$(dirname "$zip")"
  rm -f "$zip"
  # Both zip and Python keep the executable bits, which Lambda restores when it extracts the layer.
  if command -v zip >/dev/null 2>&1; then
    (cd "$dir" && zip -q -r -X "$zip" bootstrap extensions/lambda-adapter)
  elif command -v python3 >/dev/null 2>&1; then
    (cd "$dir" && python3 -m zipfile -c "$zip" bootstrap extensions)
  else
    die "--zip needs zip or python3"
  fi
  echo "layer zip: $zip" >&2
fi
echo "layer: $dir" >&2
