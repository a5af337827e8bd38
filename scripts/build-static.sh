#!/usr/bin/env bash
# Builds the lambda-adapter binary that users deploy: statically linked (no dynamic loader, no libc in the
# image), so it runs in FROM scratch and gcr.io/distroless/static images, in a Lambda layer on any managed
# runtime whatever its glibc (Amazon Linux 2 has 2.26), and on provided.al2023. Prints the binary's path.
#
#   scripts/build-static.sh [--arch x86_64|aarch64] [-- CARGO BUILD ARGS...]
#
# The binary is glibc linked statically (`-C target-feature=+crt-static`), which needs only the Rust
# standard library of the target and the C library's static archives (libc6-dev), not a musl toolchain. It
# lands in target/<arch>-unknown-linux-gnu/release/lambda-adapter; `cargo build --release` still builds the
# ordinary dynamically linked one in target/release/ for development.
#
# --arch defaults to this machine's architecture. Building aarch64 (Graviton) on an x86_64 machine needs
# `rustup target add aarch64-unknown-linux-gnu` and a cross C toolchain with arm64 glibc archives (Debian:
# gcc-aarch64-linux-gnu libc6-dev-arm64-cross); the script then uses aarch64-linux-gnu-gcc as the linker.
# Builds offline from the crates in Cargo.lock when they are already downloaded (CARGO_NET_OFFLINE=true
# forces it). Arguments after -- go to cargo build: `-- --example sse` builds that example the same way, beside
# the binary (in examples/ of the printed path's directory), sharing its compiled dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'scripts/build-static.sh: %s\n' "$*" >&2; exit 1; }

arch=$(uname -m)
cargo_args=()
while (($#)); do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs a value: x86_64 or aarch64"; arch=$2; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    --) shift; cargo_args=("$@"); break ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (usage: scripts/build-static.sh [--arch x86_64|aarch64])" ;;
  esac
done
case "$arch" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) die "unsupported --arch '$arch': expected x86_64 or aarch64 (arm64)" ;;
esac
target="$arch-unknown-linux-gnu"

sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/$target/lib" ]; then
  die "the Rust standard library for $target is not installed: rustup target add $target"
fi
host_arch=$(uname -m)
[ "$host_arch" = arm64 ] && host_arch=aarch64
if [ "$arch" != "$host_arch" ]; then
  # Cross-linking: the target's C compiler driver brings its glibc archives (crt1.o, libc.a).
  linker_var="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_LINKER"
  if [ -z "${!linker_var:-}" ]; then
    case "$arch" in
      aarch64) debs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
      x86_64) debs="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;;
    esac
    command -v "$arch-linux-gnu-gcc" >/dev/null 2>&1 \
      || die "cross-building for $arch needs $arch-linux-gnu-gcc (Debian: apt-get install $debs), or set $linker_var"
    export "$linker_var=$arch-linux-gnu-gcc"
  fi
  # The same compiler for C code that crates build with cc (zstd's, ring's).
  cc_var="CC_${target//-/_}"
  [ -n "${!cc_var:-}" ] || export "$cc_var=${!linker_var}"
fi

# zstd with only the block compressors level 3 uses (src/response/compress/codec.rs, ZSTD_LEVEL): level 3 is
# the double-fast strategy in each of zstd's level tables, whatever the input's size, so greedy through
# btultra2 (from level 4 for inputs up to 256 KB, from 5 otherwise; with their dictionary variants) can never
# run and only take room: 154 KB of the binary. zstd moves a level asking for an excluded strategy down to the
# nearest one built in, so a higher level would still compress, with double-fast's ratio. cc adds
# CFLAGS_<target> to any CFLAGS already set.
zstd_defines="-DZSTD_EXCLUDE_GREEDY_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_LAZY_BLOCK_COMPRESSOR"
zstd_defines+=" -DZSTD_EXCLUDE_LAZY2_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_BTLAZY2_BLOCK_COMPRESSOR"
zstd_defines+=" -DZSTD_EXCLUDE_BTOPT_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_BTULTRA_BLOCK_COMPRESSOR"
cflags_var="CFLAGS_${target//-/_}"
export "$cflags_var=${!cflags_var:+${!cflags_var} }$zstd_defines"

# An explicit --target is what makes +crt-static safe: RUSTFLAGS then apply to the target's crates only, not
# to build scripts and proc-macros, which must stay dynamic (rustc refuses a static proc-macro).
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static"
# Progress and warnings go to stderr; stdout is only the path, for callers to capture.
cargo build --release --locked --target "$target" --bin lambda-adapter ${cargo_args[@]+"${cargo_args[@]}"} >&2

target_dir=$(cargo metadata --format-version 1 --no-deps --locked 2>/dev/null \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
binary="${target_dir:-$PWD/target}/$target/release/lambda-adapter"
[ -x "$binary" ] || die "cargo finished but $binary is missing"
echo "$binary"
