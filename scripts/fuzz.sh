#!/usr/bin/env bash
# Fuzzes lambda-adapter (issue 10): builds every cargo-fuzz target in fuzz/ once, then runs each in turn for
# FUZZ_SECONDS (default 60) on one core, and prints how many inputs each ran. Exits non-zero, naming the
# target and the saved input, when a target crashes, leaks or times out.
#
#   scripts/fuzz.sh                          every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh roundtrip settings
#
# Each target starts from its committed corpus (fuzz/corpus/<target>) copied into a temporary directory, so
# a run never grows the committed corpus. Crash inputs are kept in fuzz/artifacts/<target>/ (git-ignored).
# Targets are described in fuzz/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$root/fuzz"
seconds="${FUZZ_SECONDS:-60}"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cd "$fuzz_dir"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "==> building ${#targets[@]} fuzz targets"
build_start=$SECONDS
cargo +nightly fuzz build
echo "    built in $((SECONDS - build_start)) s"

# Longest input per target: events and streams get room for real payloads; structured inputs need less.
max_len() {
    case "$1" in
        event_to_request | event_authority | buffered_decode | prelude_decode | ws_event) echo 65536 ;;
        roundtrip) echo 16384 ;;
        settings) echo 4096 ;;
        *) echo 65536 ;;
    esac
}

# Targets whose input is JSON text get the JSON dictionary.
uses_json_dict() {
    case "$1" in
        event_to_request | buffered_decode | prelude_decode) return 0 ;;
        *) return 1 ;;
    esac
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

summary=()
failed=()
for target in "${targets[@]}"; do
    corpus="$(mktemp -d "$work/corpus-$target.XXXX")"
    if [ -d "$fuzz_dir/corpus/$target" ]; then
        find "$fuzz_dir/corpus/$target" -maxdepth 1 -type f -exec cp {} "$corpus/" \;
    fi
    mkdir -p "$fuzz_dir/artifacts/$target"
    log="$work/$target.log"
    echo "==> $target: ${seconds} s from $(find "$corpus" -type f | wc -l) seed inputs"
    flags=(-jobs=1 -workers=1 -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10
        -rss_limit_mb=2048 -print_final_stats=1)
    if uses_json_dict "$target"; then
        flags+=(-dict="$fuzz_dir/dicts/json.dict")
    fi
    start=$SECONDS
    status=0
    # libFuzzer's job mode writes fuzz-0.log into the working directory: keep it in $work.
    (cd "$work" && cargo +nightly fuzz run --fuzz-dir "$fuzz_dir" "$target" "$corpus" -- "${flags[@]}") >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - start))
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)"
    rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)"
    line="$(printf '%-18s %12s execs  %8s execs/s  %4d s' "$target" "${execs:-?}" "${rate:-?}" "$elapsed")"
    if [ "$status" -ne 0 ]; then
        artifact="$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/^Test unit written to //' || true)"
        kind="$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+|panicked at [^ ]*' "$log" | head -n 1 || true)"
        echo "!!! $target failed (exit $status): ${kind:-see its log}"
        echo "!!! input: ${artifact:-none saved}"
        # The panic (or sanitizer report) and the input as the target's Debug shows it.
        grep -A4 -m1 -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)' "$log" | cut -c1-2000 || true
        sed -n '/^Output of `std::fmt::Debug`:/,/^Reproduce with:/p' "$log" | head -n 40 | cut -c1-300 || true
        echo "!!! full log: $fuzz_dir/artifacts/$target/last-failure.log"
        cp "$log" "$fuzz_dir/artifacts/$target/last-failure.log"
        failed+=("$target: ${artifact:-no input saved} (${kind:-exit $status})")
        line="$line  FAILED"
    fi
    echo "    $line"
    summary+=("$line")
done

echo
echo "==> summary (${seconds} s per target)"
printf '    %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "==> ${#failed[@]} target(s) failed; reproduce with: cargo +nightly fuzz run TARGET INPUT"
    printf '    %s\n' "${failed[@]}"
    exit 1
fi
