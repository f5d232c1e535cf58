#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run).
#
#   setup       scripts/setup.sh (apt packages, rustfmt/clippy, wasm-bindgen-cli)
#   fmt         cargo fmt --all -- --check
#   clippy      cargo clippy --workspace --all-targets -- -D warnings
#   tests       cargo nextest run --workspace   (cargo test when nextest is absent)
#   doctests    cargo test --workspace --doc
#   conformance upstream kube-scheduler plugin test tables through the release CLI:
#               ../shared/conformance/sample-cases.json (when ../shared sits beside the repo)
#               and conformance/cases.json, one passed/failed check per file
#   build-wasm  scripts/build-wasm.sh            (core + web for wasm32, bound for web and node)
#   wasm-det    every built-in scenario gives the same traceHash in wasm (node) as natively
#   browser     the playground in headless Chromium (scripts/browser-test.mjs): every built-in
#               scenario autoruns in the page with the CLI's report; editor errors, pod
#               decisions, what-if by clicking, share link, charts
#
# Fails fast: the first failing step stops the run. Every run ends with a table of the steps
# and their times and, when the tests ran, a final `tests: N passed, N failed` line.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
# Native builds in target/; scripts/build-wasm.sh keeps its own in target/wasm.
export CARGO_TARGET_DIR="$ROOT/target"
LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"

STEP_NAMES=()
STEP_SECS=()
STEP_RESULTS=()
PASSED=0
FAILED=0
COUNTED=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }

summary() {
    local i total=0
    printf '\n==== summary ====\n'
    printf '%-12s %-6s %9s\n' step result seconds
    for i in "${!STEP_NAMES[@]}"; do
        printf '%-12s %-6s %9s\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_SECS[$i]}"
        total=$((total + ${STEP_MS[$i]}))
    done
    printf '%-12s %-6s %9s\n' total "" "$(fmt_secs "$total")"
}

fmt_secs() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

STEP_MS=()
# step NAME WHAT COMMAND...: run one step with a banner; on failure print the summary and stop.
step() {
    local name=$1 what=$2
    shift 2
    printf '\n==== %s: %s ====\n' "$name" "$what"
    local t0 rc=0 ms
    t0=$(now_ms)
    "$@" || rc=$?
    ms=$(($(now_ms) - t0))
    STEP_NAMES+=("$name")
    STEP_MS+=("$ms")
    STEP_SECS+=("$(fmt_secs "$ms")")
    if ((rc != 0)); then
        STEP_RESULTS+=(FAILED)
        printf '\n==== %s FAILED (exit %d) ====\n' "$name" "$rc"
        summary
        ((COUNTED == 0)) || echo "tests: ${PASSED} passed, ${FAILED} failed"
        echo "FAILED: step '$name' (exit $rc)"
        exit "$rc"
    fi
    STEP_RESULTS+=(ok)
}

strip_ansi() { sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }

# Add the passed/failed counts of cargo test's `test result:` lines in a log.
count_cargo_test() {
    local p f
    p=$(strip_ansi "$1" | grep -oE '^test result: .* [0-9]+ passed' | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
    f=$(strip_ansi "$1" | grep -oE '^test result: .* [0-9]+ failed' | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    COUNTED=1
}

# Add the counts of nextest's closing `Summary [...] N tests run: P passed, F failed, ...` line.
count_nextest() {
    local line p f
    line=$(strip_ansi "$1" | grep -E '^ *Summary \[' | tail -n 1 || true)
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | awk '{s+=$1} END {print s+0}')
    f=$(grep -oE '[0-9]+ (failed|timed out)' <<<"$line" | awk '{s+=$1} END {print s+0}')
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    COUNTED=1
}

run_tests() {
    local log="$LOGS/tests.log" rc
    if command -v cargo-nextest >/dev/null 2>&1; then
        cargo nextest run --workspace 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        count_nextest "$log"
    else
        cargo test --workspace --lib --bins --tests 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        count_cargo_test "$log"
    fi
    return "$rc"
}

run_doctests() {
    local log="$LOGS/doctests.log" rc
    cargo test --workspace --doc 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    count_cargo_test "$log"
    return "$rc"
}

# Every built-in scenario must give the same traceHash in wasm (node) as natively (the CLI).
wasm_determinism() {
    local pairs=() f name hash rc=0
    cargo build --release -p cellsim >/dev/null 2>&1 || cargo build --release -p cellsim || return 1
    for f in scenarios/*.yaml; do
        name=$(basename "$f" .yaml)
        hash=$(target/release/cellsim run "$f" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).traceHash))') || return 1
        pairs+=("$name=$hash")
    done
    node scripts/wasm-determinism.mjs target/wasm-dist/node "${pairs[@]}" || rc=$?
    if ((rc == 0)); then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
    COUNTED=1
    return "$rc"
}

# Upstream kube-scheduler plugin test tables, run through `cellsim run --explain --json` by
# conformance/run_cases.py (a copy of ../shared/conformance's, fixed to accept whole nodes in
# `failed_nodes` as the shared sample gives them); each case file is one passed/failed check.
conformance() {
    local shared="$ROOT/../shared/conformance" bin="$ROOT/target/release/cellsim"
    local runner="$ROOT/conformance/run_cases.py" f rc=0 one files=()
    cargo build --release -p cellsim >/dev/null 2>&1 || cargo build --release -p cellsim || return 1
    if [[ -f "$shared/sample-cases.json" ]]; then
        files+=("$shared/sample-cases.json")
    else
        echo "note: $shared/sample-cases.json not found (no ../shared beside the repo); skipping the sample cases"
    fi
    files+=("$ROOT/conformance/cases.json")
    for f in "${files[@]}"; do
        printf -- '-- %s\n' "$f"
        one=0
        python3 "$runner" "$f" "$bin" -v || one=$?
        if ((one == 0)); then
            PASSED=$((PASSED + 1))
        else
            FAILED=$((FAILED + 1))
            rc=1
        fi
    done
    COUNTED=1
    return "$rc"
}

# The playground in a real browser, served by the release CLI rebuilt with the page embedded.
browser_tests() {
    local log="$LOGS/browser.log" rc p f
    cargo build --release -p cellsim || return 1
    node scripts/browser-test.mjs test 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=$(grep -oE '^browser: [0-9]+ passed' "$log" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '^browser: [0-9]+ passed, [0-9]+ failed' "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 1)
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    COUNTED=1
    return "$rc"
}

step setup "scripts/setup.sh" bash scripts/setup.sh
step fmt "cargo fmt --all -- --check" cargo fmt --all -- --check
step clippy "cargo clippy --workspace --all-targets -- -D warnings" \
    cargo clippy --workspace --all-targets -- -D warnings
if command -v cargo-nextest >/dev/null 2>&1; then
    step tests "cargo nextest run --workspace" run_tests
else
    step tests "cargo test --workspace --lib --bins --tests (cargo-nextest not installed)" run_tests
fi
step doctests "cargo test --workspace --doc" run_doctests
step conformance "upstream scheduler test tables (run_cases.py)" conformance
step build-wasm "scripts/build-wasm.sh" bash scripts/build-wasm.sh
step wasm-det "wasm vs native: traceHash of every built-in scenario" wasm_determinism
step browser "the playground in headless Chromium (scripts/browser-test.mjs)" browser_tests

summary
echo "tests: ${PASSED} passed, ${FAILED} failed"
