#!/usr/bin/env bash
# Failover benchmark: rgroup (3 rg-nodes, 3 rg-sentinels) beside Redis Sentinel (Debian's
# redis-server and redis-sentinel: 1 primary, 2 replicas, 3 sentinels), same down-after,
# in one run, alternating, every trial on a fresh group. Two faults (FAULT=kill|buscut|both,
# default both): the primary killed with SIGKILL (KILLS trials each, default 5), and the
# primary cut off from the rest of its group through a TCP proxy while its clients still
# reach it (CUTS trials per configuration, default 5; CUT_MS before the heal, default 4000),
# each system with its min-replicas setting and without. RG_OLD_BIN_DIR names a directory
# holding an older build of rg-node and rg-sentinel, run in the bus cut as "rgroup before".
# Prints markdown tables for the README; each trial's numbers go to stderr. DOWN_AFTER_MS
# changes both systems' down-after.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in nats-server redis-server redis-sentinel python3; do
    command -v "$tool" >/dev/null || { echo "failover-bench.sh needs $tool" >&2; exit 1; }
done
if [ -n "${RG_OLD_BIN_DIR:-}" ]; then
    for bin in rg-node rg-sentinel; do
        [ -x "$RG_OLD_BIN_DIR/$bin" ] || { echo "failover-bench.sh: no $bin in RG_OLD_BIN_DIR=$RG_OLD_BIN_DIR" >&2; exit 1; }
    done
fi
cargo build --release -p rg-node -p rg-sentinel --quiet
exec python3 scripts/failover_bench.py
