#!/usr/bin/env bash
# Build cellsim for WebAssembly: the playground for the browser and the bindings for Node.js.
#
#   scripts/build-wasm.sh [--debug]
#
# rustup here has no wasm32 standard library, so this uses Debian's second compiler
# (rustc-web/cargo-web, installed by scripts/setup.sh) and builds std from source
# (rust-web-src) with -Zbuild-std, linking with wasm-ld-14. The Debian toolchain is first on
# PATH only for these cargo commands, and it writes to its own target dir (target/wasm), so it
# never mixes artifacts with the native rustup builds in target/.
#
#   (a) cellsim-core  -> wasm32-unknown-unknown: proves the core stays wasm-clean
#   (b) cellsim-web   -> target/wasm/wasm32-unknown-unknown/<profile>/cellsim_web.wasm
#                        (profile `web` from Cargo.toml: opt-level s, LTO, one codegen unit,
#                        no debug info, no reference types (WASM_RUSTFLAGS below);
#                        `--debug`: the dev profile, faster to build, much slower to run)
#   (c) wasm-bindgen  -> target/wasm-dist/node/ (--target nodejs: scripts/wasm-determinism.mjs)
#                        target/wasm-dist/web/  (--target web, functions put in name order for gzip
#                        (scripts/wasm-order.py, with binaryen), plus sim-web/static/: the playground, served by
#                        `cellsim serve` (embedded at its build) or by any static web server)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"

profile=web
case "${1:-}" in
    "") ;;
    --debug) profile=debug ;;
    *) echo "usage: scripts/build-wasm.sh [--debug]" >&2; exit 2 ;;
esac
cargo_profile=(--profile "$profile")
[[ "$profile" == debug ]] && cargo_profile=()

die() { printf 'build-wasm: error: %s\n' "$*" >&2; exit 1; }

TARGET=wasm32-unknown-unknown
WASM_TARGET_DIR="$ROOT/target/wasm"
DIST="$ROOT/target/wasm-dist"

[[ -x /usr/bin/cargo && -x /usr/bin/rustc ]] || die "Debian rustc-web/cargo-web not installed; run scripts/setup.sh"
command -v wasm-ld-14 >/dev/null 2>&1 || die "wasm-ld-14 not found (Debian lld); run scripts/setup.sh"
command -v wasm-bindgen >/dev/null 2>&1 || die "wasm-bindgen not found; run scripts/setup.sh"

# Without reference types: rustc (1.82 and later) enables them for wasm32 by default, and
# wasm-bindgen then moves JS values into an externref table, initialised with `table.fill`,
# which Debian's binaryen 108 cannot parse ("invalid code after misc prefix: 17"), so wasm-opt
# could not run at all. Only how JS values are handed over changes; the simulation does not.
#
# -Zlocation-detail=none: panics report no file:line:col (the message stays), so the module
# holds no source locations: 35 KB smaller raw, 12 KB gzipped (docs/benchmarks.md, "Bundle
# size"); nothing in cellsim reads panic locations, the trace hashes are unchanged.
WASM_RUSTFLAGS="-C target-feature=-reference-types,-multivalue -Zlocation-detail=none"
# -Cpanic=immediate-abort (the size build only): a panic traps at once instead of formatting
# its message first, so std's panic machinery and every panic message leave the module:
# 38 KB raw, 13.3 KB gzipped (docs/benchmarks.md, "Session 11"). A panic is a bug in either
# build and stops the simulation in both (panic=abort traps too); the page then shows its
# "internal error" notice (sim-web/static/index.html). For the message, use `--debug`.
if [[ "$profile" != debug ]]; then
    WASM_RUSTFLAGS+=" -Zunstable-options -Cpanic=immediate-abort"
fi
# The features binaryen may use: what rustc still emits (bulk memory, sign extension,
# saturating float-to-int, mutable globals). Not `-all`: binaryen 108 would then write a
# pre-standard GC type encoding that wasm-bindgen and browsers reject.
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
    --enable-mutable-globals)

# The Debian cargo, with the Debian rustc named explicitly, so neither rustup's proxies nor a
# rust-toolchain file nor variables set by an outer rustup cargo can swap the compiler.
wasm_cargo() {
    env -u RUSTUP_TOOLCHAIN -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER -u CARGO_BUILD_RUSTC \
        -u CARGO_BUILD_TARGET_DIR -u CARGO \
        PATH="/usr/bin:$PATH" \
        RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
        RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-14 \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$WASM_RUSTFLAGS" \
        CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
        /usr/bin/cargo "$@"
}

# One invocation for both packages: separate ones would resolve features differently and
# compile the shared dependencies (and the core) twice.
echo "build-wasm: cargo build -p cellsim-core -p cellsim-web --target $TARGET ($profile, $(/usr/bin/rustc --version | cut -d' ' -f1-2))"
wasm_cargo build "${cargo_profile[@]}" --target "$TARGET" -Zbuild-std=std,panic_abort \
    -p cellsim-core -p cellsim-web

wasm="$WASM_TARGET_DIR/$TARGET/$profile/cellsim_web.wasm"
[[ -f "$wasm" ]] || die "$wasm was not produced"

for target in web nodejs; do
    out="$DIST/${target/nodejs/node}"
    rm -rf "$out"
    mkdir -p "$out"
    echo "build-wasm: wasm-bindgen --target $target -> ${out#"$ROOT"/}"
    wasm-bindgen --target "$target" --remove-name-section --remove-producers-section \
        --out-dir "$out" "$wasm"
done

web="$DIST/web/cellsim_web_bg.wasm"
raw=$(stat -c %s "$web")
gzsize() { gzip -9 -c "$1" | wc -c; }
# wasm-opt's -Oz/-Os/-O2 make this module smaller raw but larger gzipped (what is served);
# so does every binaryen pass that moves or merges functions (docs/benchmarks.md, "Bundle
# size"). What does help gzip is the functions' order: scripts/wasm-order.py puts them in the
# order of their names, so the copies of each generic function sit next to each other. It
# needs the names, so wasm-bindgen writes the module once more with its name section, and
# binaryen's wasm-dis/wasm-as (names in, no names out) rewrite it. Before that, wasm-opt
# merges functions whose bodies are identical (`--duplicate-function-elimination`, e.g. the
# drop glue of types with the same layout): 17 KB raw, 1.7 KB gzipped; the one binaryen pass
# that makes it smaller gzipped too (docs/benchmarks.md, "Session 11"). Kept only when smaller
# gzipped; without binaryen or python3, the module stays as wasm-bindgen wrote it.
if [[ "$profile" != debug ]] && command -v wasm-dis >/dev/null 2>&1 && command -v wasm-opt >/dev/null 2>&1 \
    && command -v wasm-as >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
    named="$DIST/named"
    rm -rf "$named"
    mkdir -p "$named"
    wasm-bindgen --target web --remove-producers-section --out-dir "$named" "$wasm"
    if wasm-opt "${WASM_OPT_FEATURES[@]}" --duplicate-function-elimination -g \
            "$named/cellsim_web_bg.wasm" -o "$named/merged.wasm" \
        && wasm-dis "${WASM_OPT_FEATURES[@]}" "$named/merged.wasm" -o "$named/module.wat" \
        && python3 scripts/wasm-order.py "$named/module.wat" "$named/ordered.wat" \
        && wasm-as "${WASM_OPT_FEATURES[@]}" "$named/ordered.wat" -o "$named/ordered.wasm"; then
        if (($(gzsize "$named/ordered.wasm") < $(gzsize "$web"))); then
            mv "$named/ordered.wasm" "$web"
        else
            echo "build-wasm: note: name order did not make the module smaller gzipped; kept as is"
        fi
    else
        echo "build-wasm: note: could not put the functions in name order; kept as is"
    fi
    rm -rf "$named"
fi
cp "$ROOT"/sim-web/static/* "$DIST/web/"

# The compressed copy `cellsim serve` sends to browsers that take gzip (as any static server
# with precompressed files can): zopfli writes the smallest gzip stream (about 4 % below
# gzip -9), gzip -9 when zopfli is not installed. -n: no name or time in it, reproducible.
if command -v zopfli >/dev/null 2>&1 && [[ "$profile" != debug ]]; then
    zopfli --gzip -c "$web" > "$web.gz"
else
    gzip -9 -n -c "$web" > "$web.gz"
fi

size=$(stat -c %s "$web")
gz=$(gzip -9 -c "$web" | wc -c)
served=$(stat -c %s "$web.gz")
echo "build-wasm: ok: web/cellsim_web_bg.wasm ${size} bytes, ${gz} gzipped (gzip -9), ${served} served compressed (web/cellsim_web_bg.wasm.gz) (${raw} as wasm-bindgen wrote it; $profile)"
echo "build-wasm: where the bytes go: python3 scripts/wasm-size-breakdown.py (docs/benchmarks.md, \"Bundle size\")"
echo "build-wasm: the playground is in ${DIST#"$ROOT"/}/web (index.html); \`cellsim serve\` embeds it when built after this"
