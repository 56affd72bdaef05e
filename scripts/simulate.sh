#!/usr/bin/env bash
# Runs the simulated network's seeded schedules (shared/failover/tests/simulate.rs):
#   scripts/simulate.sh --schedules 100000     more schedules than the test suite's 10,000
#   scripts/simulate.sh --seed 1632 --trace    replay one schedule, printing what it does
set -euo pipefail
cd "$(dirname "$0")/.."
while [ $# -gt 0 ]; do
    case "$1" in
        --schedules) export SIM_SCHEDULES="$2"; shift 2 ;;
        --seed) export SIM_SEED="$2"; shift 2 ;;
        --trace) export SIM_TRACE=1; shift ;;
        *) echo "usage: $0 [--schedules N] [--seed S] [--trace]" >&2; exit 2 ;;
    esac
done
exec cargo test --release -p rg-failover --test simulate -- --nocapture
