#!/usr/bin/env bash
# The replication part of the benchmark (scripts/bench.sh runs it in the same run): write
# throughput with two replicas attached vs a standalone node, replication lag seen by a
# client, sync-replicas 1 vs asynchronous, and a full sync of 1,000,000 keys beside a real
# redis-server replica doing the same.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
PIPELINED_REQUESTS=${PIPELINED_REQUESTS:-1000000}
KEYS_FOR_SYNC=${KEYS_FOR_SYNC:-1000000}
LAG_SAMPLES=${LAG_SAMPLES:-2000}
RG_NODE=${RG_NODE:-target/release/rg-node}

for tool in nats-server redis-server redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "bench-replication.sh needs $tool" >&2; exit 1; }
done
[ -x "$RG_NODE" ] || cargo build --release -p rg-node --quiet

WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "port $1 never answered" >&2; exit 1; }
info() { redis-cli -p "$1" info "$2" 2>/dev/null | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }
now_ms() { date +%s%3N; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
set_rps() { redis-benchmark -p "$1" -c 50 -P "$2" -n "$3" -r 100000 -t set --csv 2>/dev/null | tail -1 | awk -F'","' '{gsub(/"/,"",$2); print $2}'; }

NATS_PORT=$(free_port)
nats-server -a 127.0.0.1 -p "$NATS_PORT" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
NATS=nats://127.0.0.1:$NATS_PORT

# node NAME PORT [flags...]: an rg-node on the bench bus
node() {
    local name=$1 port=$2; shift 2
    "$RG_NODE" --port "$port" --log-level warn --nats-url "$NATS" --node-id "$name" "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    wait_ready "$port"
}

STANDALONE=$(free_port)
"$RG_NODE" --port "$STANDALONE" --log-level warn >"$WORK/standalone.log" 2>&1 &
PIDS+=($!)
wait_ready "$STANDALONE"
PRIMARY=$(free_port); R1=$(free_port); R2=$(free_port)
node p "$PRIMARY" --group bench
node r1 "$R1" --group bench --replicaof p
node r2 "$R2" --group bench --replicaof p
for _ in $(seq 1 200); do [ "$(info "$PRIMARY" replication connected_slaves)" = 2 ] && break; sleep 0.05; done

standalone=(); replicated=(); synchronous=()
for _ in $(seq 1 "$REPEATS"); do
    standalone+=("$(set_rps "$STANDALONE" 16 "$PIPELINED_REQUESTS")")
    replicated+=("$(set_rps "$PRIMARY" 16 "$PIPELINED_REQUESTS")")
    redis-cli -p "$PRIMARY" config set sync-replicas 1 >/dev/null
    synchronous+=("$(set_rps "$PRIMARY" 16 "$PIPELINED_REQUESTS")")
    redis-cli -p "$PRIMARY" config set sync-replicas 0 >/dev/null
done
standalone=$(median "${standalone[@]}"); replicated=$(median "${replicated[@]}"); synchronous=$(median "${synchronous[@]}")

# Lag at half the primary's top unpipelined write rate (50 clients, -P 1).
top=$(set_rps "$PRIMARY" 1 200000)
read -r lag_p50 lag_p99 load_rate < <(scripts/lag_probe.py "$PRIMARY" "$R1" "$(python3 -c "print(int($top/2))")" "$LAG_SAMPLES")

# Full sync of KEYS_FOR_SYNC keys: rg-node vs redis-server, each a fresh primary.
python3 - "$KEYS_FOR_SYNC" >"$WORK/load.resp" <<'PY'
import sys
out = sys.stdout
for i in range(int(sys.argv[1])):
    k = 'key:%07d' % i
    v = 'v%09d' % i
    out.write('*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' % (len(k), k, len(v), v))
PY
SYNC_PRIMARY=$(free_port); SYNC_REPLICA=$(free_port)
node sp "$SYNC_PRIMARY" --group sync
redis-cli -p "$SYNC_PRIMARY" --pipe <"$WORK/load.resp" >/dev/null
start=$(now_ms)
node sr "$SYNC_REPLICA" --group sync --replicaof sp
until [ "$(redis-cli -p "$SYNC_REPLICA" dbsize 2>/dev/null)" = "$KEYS_FOR_SYNC" ] && [ "$(info "$SYNC_REPLICA" replication master_link_status)" = up ]; do sleep 0.01; done
rg_sync=$(( $(now_ms) - start ))

REDIS_PRIMARY=$(free_port); REDIS_REPLICA=$(free_port)
redis-server --port "$REDIS_PRIMARY" --save '' --appendonly no --repl-diskless-sync-delay 0 --dir "$WORK" >"$WORK/redis-primary.log" 2>&1 &
PIDS+=($!)
wait_ready "$REDIS_PRIMARY"
redis-cli -p "$REDIS_PRIMARY" --pipe <"$WORK/load.resp" >/dev/null
start=$(now_ms)
redis-server --port "$REDIS_REPLICA" --save '' --appendonly no --replicaof 127.0.0.1 "$REDIS_PRIMARY" --dir "$WORK" >"$WORK/redis-replica.log" 2>&1 &
PIDS+=($!)
wait_ready "$REDIS_REPLICA"
until [ "$(info "$REDIS_REPLICA" replication master_link_status)" = up ] && [ "$(redis-cli -p "$REDIS_REPLICA" dbsize 2>/dev/null)" = "$KEYS_FOR_SYNC" ]; do sleep 0.01; done
redis_sync=$(( $(now_ms) - start ))

python3 - "$standalone" "$replicated" "$synchronous" "$lag_p50" "$lag_p99" "$load_rate" "$top" "$rg_sync" "$redis_sync" "$KEYS_FOR_SYNC" <<'PY'
import sys
standalone, replicated, synchronous, p50, p99, load, top, rg_sync, redis_sync = map(float, sys.argv[1:10])
keys = int(sys.argv[10])
print('| replication figure | value | against | ratio |')
print('| --- | ---: | ---: | ---: |')
print(f'| SET -P 16, primary with 2 replicas vs standalone | {replicated:,.0f}/s | {standalone:,.0f}/s | {replicated/standalone:.2f} |')
print(f'| SET -P 16, sync-replicas 1 vs asynchronous | {synchronous:,.0f}/s | {replicated:,.0f}/s | {synchronous/replicated:.2f} |')
print(f'| lag write-to-visible on a replica, p50 / p99 | {p50:.2f} / {p99:.2f} ms | under {load:,.0f} writes/s (half of {top:,.0f}) | |')
print(f'| full sync of {keys:,} keys, rg-node vs redis-server | {rg_sync/1000:.2f} s | {redis_sync/1000:.2f} s | {rg_sync/redis_sync:.2f} |')
PY
