#!/usr/bin/env bash
# Regenerate the playground screenshots in docs/screenshots/ (headless Chromium, the same
# WebDriver harness as the browser tests): builds the playground and the CLI first.
#   cluster.png   the cluster view after dedicated-pools ran, a pod's decision open
#   charts.png    node-failure's charts at 9m
#   events.png    its event log filtered on "Node"
#   planning.png  the Plan tab: plan with zone headroom on cli/tests/plan/binpack.yaml
#
#   bash scripts/screenshots.sh [--no-build]
# (CELLSIM_BIN names another cellsim binary to serve the page and answer the CLI side.)
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
