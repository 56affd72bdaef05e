#!/usr/bin/env bash
# Seeded fault injection against a real group (the harness is tests/chaos/, the binary
# tests/bin/rg-chaos.rs): builds the binaries, then plays rounds of faults under a write
# load and prints a line per round and a table per fault kind. Exits 1 on any acknowledged
# write lost, split brain or round that did not converge, naming the seed and round that
# replay it; every process's log is kept under target/chaos-logs/ then.
#
#   scripts/chaos.sh --rounds N --seed S [--mode wait|sync] [--first-round R]
#                    [--writers W] [--big-every N (default 100, 0 off)] [--converge-secs S]
#                    [--keep-logs]
#
# Do not export RG_ variables around it: every service reads them as settings.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v nats-server >/dev/null; then
    echo "installing nats-server"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
fi
cargo build --workspace --bins
exec target/debug/rg-chaos "$@"
