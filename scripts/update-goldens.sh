#!/usr/bin/env bash
# Re-record the replay harness's golden trace hashes after an intended behaviour change.
set -euo pipefail
cd "$(dirname "$0")/.."
CELLSIM_UPDATE_GOLDENS=1 cargo test -p cellsim-scenarios --test replay -- every_scenario
git --no-pager diff --stat scenarios/goldens.json || true
