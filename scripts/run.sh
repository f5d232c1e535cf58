#!/usr/bin/env bash
# The main job: set the machine up (the same scripts/setup.sh the tests use) and run the
# quickstart scenario with the native simulator. Extra arguments go to `cellsim run`
# (e.g. scripts/run.sh --json, scripts/run.sh --seed 3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$ROOT/target"

SCENARIO=scenarios/quickstart.yaml

bash scripts/setup.sh
if [[ ! -f "$SCENARIO" ]]; then
    echo "run: error: $SCENARIO not found (the quickstart scenario is missing from this checkout)" >&2
    exit 2
fi
echo "run: cargo run --release -p cellsim -- run $SCENARIO $*"
exec cargo run --release -p cellsim -- run "$SCENARIO" "$@"
