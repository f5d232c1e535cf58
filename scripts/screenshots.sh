#!/usr/bin/env bash
# Regenerate the playground screenshots in docs/screenshots/ (headless Chromium, the same
# WebDriver harness as the browser tests): builds the playground and the CLI first.
#
#   bash scripts/screenshots.sh [--no-build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$ROOT/target"

if [[ "${1:-}" != --no-build ]]; then
    bash scripts/setup.sh
    bash scripts/build-wasm.sh
    cargo build --release -p cellsim
fi
node scripts/browser-test.mjs screenshots docs/screenshots
