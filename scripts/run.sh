#!/usr/bin/env bash
# The main job: set the machine up (the same scripts/setup.sh the tests use), build the
# playground (the simulator compiled to WebAssembly, scripts/build-wasm.sh), build the CLI
# with the playground embedded, and serve it:
#
#   bash scripts/run.sh                        -> http://127.0.0.1:8080/
#   bash scripts/run.sh --addr 127.0.0.1:9000  (extra arguments go to `cellsim serve`)
#
# Open the printed URL; `?scenario=NAME&seed=N&autorun=1` runs a built-in scenario at once.
# For the command-line simulator instead: cargo run --release -p cellsim -- run scenarios/quickstart.yaml
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$ROOT/target"

bash scripts/setup.sh
bash scripts/build-wasm.sh
echo "run: cargo build --release -p cellsim (embeds target/wasm-dist/web)"
cargo build --release -p cellsim
args=("$@")
((${#args[@]} > 0)) || args=(--addr 127.0.0.1:8080)
echo "run: target/release/cellsim serve ${args[*]}"
exec target/release/cellsim serve "${args[@]}"
