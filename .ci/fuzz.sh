#!/usr/bin/env bash
# Fuzz smoke run for CI: replays the committed fuzz inputs, then builds every
# cargo-fuzz target in fuzz/ and runs each one for FUZZ_SECONDS (default 20)
# in a temporary working corpus seeded with a copy of fuzz/seeds/<target> (and
# fuzz/regressions/<target>), outside the tree, so the tree stays clean.
#
#   bash .ci/fuzz.sh                      # every target, 20 s each
#   FUZZ_SECONDS=60 bash .ci/fuzz.sh      # longer
#   FUZZ_TARGETS="payment round_trip" bash .ci/fuzz.sh
#
# Exit status: non-zero if the replay fails, the build fails or any target
# finds a crash (the crash input is printed and kept under fuzz/artifacts/).
# If no nightly toolchain can be had, it says so loudly and skips the fuzz
# runs only (exit 0 after the replay).
set -uo pipefail

cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

banner() { printf '\n==== %s ====\n' "$*"; }
skip_loudly() {
    local msg="WARNING: $1, SKIPPING FUZZ RUNS"
    local bar
    bar=$(printf '%*s' "${#msg}" '' | tr ' ' '!')
    printf '\n%s\n%s\n%s\n\n' "$bar" "$msg" "$bar" >&2
    printf '%s\n' "$msg"
    exit 0
}

# 0. Replay: every seed and regression file through its target's full logic
#    (fuzz/src, real primitives). Needs only the stable toolchain.
banner "fuzz: replaying fuzz/seeds and fuzz/regressions (cargo test in fuzz/)"
if ! cargo test --manifest-path fuzz/Cargo.toml; then
    echo "fuzz: replay of the committed fuzz inputs FAILED" >&2
    exit 1
fi

# 1. The nightly toolchain (cargo-fuzz needs -Zsanitizer).
banner "fuzz: nightly toolchain"
if ! command -v rustup >/dev/null 2>&1; then
    skip_loudly "rustup not found, nightly toolchain unavailable"
fi
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: installing the nightly toolchain"
    if ! rustup toolchain install nightly --profile minimal; then
        skip_loudly "nightly toolchain unavailable"
    fi
fi
if ! cargo +nightly --version; then
    skip_loudly "nightly toolchain unavailable (cargo +nightly does not run)"
fi

# 2. cargo-fuzz.
if ! cargo fuzz --version >/dev/null 2>&1; then
    banner "fuzz: installing cargo-fuzz"
    if ! cargo install cargo-fuzz --locked; then
        skip_loudly "cargo-fuzz could not be installed"
    fi
fi
cargo fuzz --version

# 3. Build every target once (release, debug assertions on so that integer
#    overflow is a crash; AddressSanitizer).
FUZZ_FLAGS=(-O -a)
banner "fuzz: building all targets"
if ! cargo +nightly fuzz build "${FUZZ_FLAGS[@]}"; then
    echo "fuzz: build FAILED" >&2
    exit 1
fi

mapfile -t ALL_TARGETS < <(cargo +nightly fuzz list)
if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
    TARGETS=("${ALL_TARGETS[@]}")
fi
if [ "${#TARGETS[@]}" -eq 0 ]; then
    echo "fuzz: no targets found" >&2
    exit 1
fi

# 4. Run each target in a temporary working corpus holding a copy of its seeds
#    (and of its regressions). libFuzzer writes new inputs there, never into
#    fuzz/seeds or fuzz/regressions.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/payword-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SUMMARY=()
CRASHED=0
for t in "${TARGETS[@]}"; do
    banner "fuzz: $t for ${FUZZ_SECONDS}s"
    corpus="$WORK/corpus/$t"
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    for dir in "fuzz/seeds/$t" "fuzz/regressions/$t"; do
        [ -d "$dir" ] || continue
        find "$dir" -maxdepth 1 -type f ! -name '.*' ! -name 'README.md' -exec cp {} "$corpus/" \;
    done
    seeds=$(find "$corpus" -type f | wc -l)
    marker="$WORK/$t.start"
    touch "$marker"
    log="$WORK/$t.log"
    cargo +nightly fuzz run "${FUZZ_FLAGS[@]}" "$t" "$corpus" -- \
        -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    units=$(find "$corpus" -type f | wc -l)
    mapfile -t crashes < <(find "fuzz/artifacts/$t" -type f -newer "$marker" 2>/dev/null)
    if [ "$rc" -ne 0 ] || [ "${#crashes[@]}" -gt 0 ]; then
        CRASHED=$((CRASHED + 1))
        status="CRASH (exit $rc)"
        echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
        tail -n 60 "$log" >&2
        for f in "${crashes[@]}"; do
            echo "fuzz: crash input $f ($(wc -c <"$f") bytes), base64:" >&2
            base64 "$f" >&2
            echo "fuzz: reproduce with: cargo +nightly fuzz run ${FUZZ_FLAGS[*]} $t $f" >&2
            echo "fuzz: keep it: cp $f fuzz/regressions/$t/" >&2
        done
    else
        status="ok"
        tail -n 12 "$log"
    fi
    SUMMARY+=("$(printf '%-18s %12s %10s %8s %7s  %s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$seeds>$units" "$status")")
done

banner "fuzz summary (${FUZZ_SECONDS}s per target)"
printf '%-18s %12s %10s %8s %7s  %s\n' target executions execs/s cov corpus status
for line in "${SUMMARY[@]}"; do
    printf '%s\n' "$line"
done
if [ "$CRASHED" -ne 0 ]; then
    echo "fuzz: $CRASHED of ${#TARGETS[@]} targets FAILED" >&2
    exit 1
fi
echo "fuzz: all ${#TARGETS[@]} targets ran ${FUZZ_SECONDS}s without a crash"
