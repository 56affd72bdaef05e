#!/usr/bin/env bash
# Failover benchmark: rgroup (3 rg-nodes, 3 rg-sentinels) beside Redis Sentinel (Debian's
# redis-server and redis-sentinel: 1 primary, 2 replicas, 3 sentinels), same down-after,
# in one run, alternating, five kills each. Prints a markdown table for the README; each
# kill's numbers go to stderr. KILLS and DOWN_AFTER_MS change the run.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in nats-server redis-server redis-sentinel python3; do
    command -v "$tool" >/dev/null || { echo "failover-bench.sh needs $tool" >&2; exit 1; }
done
cargo build --release -p rg-node -p rg-sentinel --quiet
exec python3 scripts/failover_bench.py
