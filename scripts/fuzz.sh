#!/usr/bin/env bash
# Fuzz the scenario loader and the quantity parser (see fuzz/README.md). Not part of
# scripts/test.sh: CI replays the committed corpus instead (core/tests/corpus_replay.rs).
#
#   scripts/fuzz.sh [SECONDS]     run each target for SECONDS (default 300), one after the other
#
# Environment:
#   FUZZ_TARGETS="scenario_load quantity_parse"   which targets to run
#   FUZZ_SANITIZER=address                        or none (faster; no ASan)
#   FUZZ_UPDATE_CORPUS=1                          afterwards, minimize (cargo fuzz cmin) the
#                                                 working corpus into fuzz/corpus/<target>/
#
# Installs cargo-fuzz when missing. Builds with the stable toolchain and RUSTC_BOOTSTRAP=1
# (cargo-fuzz passes nightly-only flags: -Zsanitizer, sanitizer coverage), optimized and with
# overflow checks and debug assertions (cargo-fuzz's default; its -O turns them off). New inputs go to
# fuzz/corpus-work/<target>/ (git-ignored); crashes to fuzz/artifacts/<target>/, and the script
# exits 1 naming them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET=${1:-300}
TARGETS=${FUZZ_TARGETS:-scenario_load quantity_parse}
SANITIZER=${FUZZ_SANITIZER:-address}
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==== installing cargo-fuzz ===="
    cargo install cargo-fuzz --locked
fi
TOOLCHAIN=()
if command -v rustup >/dev/null 2>&1; then
    TOOLCHAIN=(+stable)
fi

cd "$ROOT/fuzz"
extra_args() {
    case $1 in
    scenario_load) echo "-max_len=16384 -dict=dict/scenario.dict" ;;
    *) echo "" ;;
    esac
}

# seed_dirs TARGET: read-only seed directories besides the committed corpus.
seed_dirs() {
    if [[ $1 == scenario_load ]]; then
        local d
        d=$(mktemp -d)
        cp "$ROOT"/scenarios/*.yaml "$ROOT"/scenarios/manifests/*.yaml "$d"/
        for f in "$ROOT"/cli/tests/bad/*/*.yaml "$ROOT"/cli/tests/good/*/*.yaml; do
            [[ -f $f ]] && cp "$f" "$d/$(basename "$(dirname "$f")")-$(basename "$f")"
        done
        echo "$d"
    fi
}

failed=()
for t in $TARGETS; do
    echo "==== fuzz $t for ${SECONDS_PER_TARGET}s (sanitizer: $SANITIZER) ===="
    mkdir -p "corpus-work/$t" "corpus/$t"
    seeds=$(seed_dirs "$t")
    rc=0
    # shellcheck disable=SC2046
    cargo "${TOOLCHAIN[@]}" fuzz run -s "$SANITIZER" "$t" "corpus-work/$t" "corpus/$t" $seeds -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -print_final_stats=1 $(extra_args "$t") || rc=$?
    [[ -n $seeds ]] && rm -rf "$seeds"
    if ((rc != 0)); then
        failed+=("$t")
        continue
    fi
    if [[ ${FUZZ_UPDATE_CORPUS:-0} == 1 ]]; then
        echo "==== minimize into fuzz/corpus/$t ===="
        cp -n "corpus-work/$t"/* "corpus/$t"/ 2>/dev/null || true
        cargo "${TOOLCHAIN[@]}" fuzz cmin -s "$SANITIZER" "$t" "corpus/$t" -- $(extra_args "$t")
        echo "fuzz/corpus/$t: $(find "corpus/$t" -type f | wc -l) files, $(du -sh "corpus/$t" | cut -f1)"
    fi
done

if ((${#failed[@]} > 0)); then
    echo "FAILED: ${failed[*]}: reproducers in fuzz/artifacts/ (replay one with"
    echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...;"
    echo "  then add it under fuzz/regressions/TARGET/ and fix the bug)"
    exit 1
fi
echo "fuzz: ok (${TARGETS// /, }: ${SECONDS_PER_TARGET}s each)"
