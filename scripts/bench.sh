#!/usr/bin/env bash
# Benchmarks rg-node against a real redis-server in ONE run, side by side, and prints each
# figure for both with the ratio rg-node/redis-server. Shared machines are noisy, so runs
# alternate between the two servers and each figure is the median of REPEATS runs.
#
#   scripts/bench.sh                 # full run
#   REPEATS=1 REQUESTS=50000 scripts/bench.sh   # quick look
set -euo pipefail

cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
REQUESTS=${REQUESTS:-200000}
PIPELINED_REQUESTS=${PIPELINED_REQUESTS:-1000000}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-set,get,incr,lpush,lpop,sadd,hset,zadd}
KEYS_FOR_MEMORY=${KEYS_FOR_MEMORY:-1000000}

for tool in redis-server redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "bench.sh needs $tool (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

cargo build --release -p rg-node --quiet
RG_NODE=target/release/rg-node
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
    for _ in $(seq 1 200); do
        redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2; exit 1
}

# start_server NAME -> sets PORT and PID
start_server() {
    PORT=$(free_port)
    if [ "$1" = rg-node ]; then
        "$RG_NODE" --port "$PORT" --log-level warn >"$WORK/$1-$PORT.log" 2>&1 &
    else
        redis-server --port "$PORT" --save '' --appendonly no --daemonize no >"$WORK/$1-$PORT.log" 2>&1 &
    fi
    PID=$!
    PIDS+=("$PID")
    wait_ready "$PORT"
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# throughput PORT PIPELINE REQUESTS -> lines "test,rps"
throughput() {
    redis-benchmark -p "$1" -c "$CLIENTS" -P "$2" -n "$3" -r 100000 -t "$TESTS" --csv 2>/dev/null \
        | tail -n +2 | awk -F'","' '{gsub(/"/,"",$1); gsub(/"/,"",$2); print tolower($1) "," $2}'
}

echo "machine: $(uname -n), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "redis-server: $(redis-server --version | awk '{print $3}')   rg-node: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "redis-benchmark -c $CLIENTS -r 100000, medians of $REPEATS alternating runs"
echo

start_server rg-node; RG_PORT=$PORT
start_server redis-server; REDIS_PORT=$PORT

for pipeline in 1 16; do
    requests=$REQUESTS
    [ "$pipeline" -gt 1 ] && requests=$PIPELINED_REQUESTS
    for run in $(seq 1 "$REPEATS"); do
        throughput "$RG_PORT" "$pipeline" "$requests" | sed "s/^/rg,$pipeline,/" >>"$WORK/results"
        throughput "$REDIS_PORT" "$pipeline" "$requests" | sed "s/^/redis,$pipeline,/" >>"$WORK/results"
    done
done

# Scripts and blocking pops: EVALSHA of a small script (GET + INCR), and BZPOPMIN clients
# served by ZADD clients running at the same time (the figure is the pops' rate); XADD.
SCRIPT="local v = redis.call('incr', KEYS[1]) return redis.call('get', KEYS[1])"
custom() {
    redis-benchmark -p "$1" -c "$CLIENTS" -n "$2" -r 100000 --csv "${@:3}" 2>/dev/null \
        | tail -n +2 | head -1 | awk -F'","' '{gsub(/"/,"",$2); print $2}'
}
for run in $(seq 1 "$REPEATS"); do
    for server in rg redis; do
        port=$RG_PORT; [ "$server" = redis ] && port=$REDIS_PORT
        sha=$(redis-cli -p "$port" script load "$SCRIPT")
        echo "$server,1,evalsha,$(custom "$port" "$REQUESTS" evalsha "$sha" 1 counter:__rand_int__)" >>"$WORK/results"
        redis-cli -p "$port" del bq >/dev/null
        custom "$port" "$REQUESTS" zadd bq __rand_int__ m:__rand_int__ >/dev/null &
        adder=$!
        echo "$server,1,bzpopmin served by zadd,$(custom "$port" "$REQUESTS" bzpopmin bq 1)" >>"$WORK/results"
        wait "$adder"
        # Streams: XADD with an auto ID to one growing stream, and to one kept near 1000
        # entries by an approximate trim.
        redis-cli -p "$port" del bs bt >/dev/null
        echo "$server,1,xadd,$(custom "$port" "$REQUESTS" xadd bs '*' field value)" >>"$WORK/results"
        echo "$server,1,xadd maxlen ~ 1000,$(custom "$port" "$REQUESTS" xadd bt maxlen '~' 1000 '*' f v)" >>"$WORK/results"
        redis-cli -p "$port" del bs bt >/dev/null
    done
done

# Memory: fresh servers, the same million small keys into each, then their RSS.
python3 - "$KEYS_FOR_MEMORY" >"$WORK/load.resp" <<'PY'
import sys
out = sys.stdout
for i in range(int(sys.argv[1])):
    k = 'key:%07d' % i
    v = 'v%09d' % i
    out.write('*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' % (len(k), k, len(v), v))
PY
start_server rg-node; RG_MEM_PORT=$PORT; RG_MEM_PID=$PID
start_server redis-server; REDIS_MEM_PORT=$PORT; REDIS_MEM_PID=$PID
rg_idle=$(rss_kb "$RG_MEM_PID"); redis_idle=$(rss_kb "$REDIS_MEM_PID")
redis-cli -p "$RG_MEM_PORT" --pipe <"$WORK/load.resp" >/dev/null
redis-cli -p "$REDIS_MEM_PORT" --pipe <"$WORK/load.resp" >/dev/null
rg_keys=$(redis-cli -p "$RG_MEM_PORT" dbsize); redis_keys=$(redis-cli -p "$REDIS_MEM_PORT" dbsize)
echo "memory,$(rss_kb "$RG_MEM_PID"),$(rss_kb "$REDIS_MEM_PID"),$rg_keys,$redis_keys,$rg_idle,$redis_idle" >>"$WORK/results"

python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [line.strip().split(',') for line in open(sys.argv[1]) if line.strip()]
runs = {}
memory = None
for row in rows:
    if row[0] == 'memory':
        memory = row
        continue
    server, pipeline, test, rps = row
    runs.setdefault((int(pipeline), test), {}).setdefault(server, []).append(float(rps))
print('| test | pipeline | rg-node req/s | redis-server req/s | ratio |')
print('| --- | --- | ---: | ---: | ---: |')
worst = None
for (pipeline, test), by_server in sorted(runs.items()):
    rg = statistics.median(by_server.get('rg', [0]))
    redis = statistics.median(by_server.get('redis', [0]))
    ratio = rg / redis if redis else 0
    worst = ratio if worst is None else min(worst, ratio)
    print(f'| {test} | {pipeline} | {rg:,.0f} | {redis:,.0f} | {ratio:.2f} |')
if memory:
    rg_kb, redis_kb = int(memory[1]), int(memory[2])
    print()
    print('| memory, %s keys (key:NNNNNNN = vNNNNNNNNN) | rg-node | redis-server | ratio |' % memory[3])
    print('| --- | ---: | ---: | ---: |')
    print(f'| RSS after load | {rg_kb/1024:.1f} MiB | {redis_kb/1024:.1f} MiB | {rg_kb/redis_kb:.2f} |')
    print(f'| RSS when idle, empty | {int(memory[5])/1024:.1f} MiB | {int(memory[6])/1024:.1f} MiB | |')
    if memory[3] != memory[4]:
        print(f'WARNING: key counts differ: rg-node {memory[3]}, redis-server {memory[4]}')
print()
print(f'lowest throughput ratio: {worst:.2f}')
PY

echo
scripts/bench-replication.sh

echo
scripts/bench-router.sh
