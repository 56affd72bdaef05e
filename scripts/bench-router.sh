#!/usr/bin/env bash
# The router part of the benchmark (scripts/bench.sh runs it in the same run): redis-benchmark
# (-c 50, GET and SET, -P 1 and -P 16) straight to the primary node, through rg-router's
# smart endpoint (1 primary, 2 replicas: reads go to the replicas), and through twemproxy
# (Debian's nutcracker) in front of the same primary; alternating, medians of REPEATS runs.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
REQUESTS_P1=${REQUESTS_P1:-200000}
REQUESTS_P16=${REQUESTS_P16:-1000000}
for tool in nats-server nutcracker redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "bench-router.sh needs $tool (apt-get install nutcracker redis-tools nats-server)" >&2; exit 1; }
done
cargo build --release -p rg-node -p rg-router --quiet

WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 200); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done; echo "port $1 never answered" >&2; exit 1; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
# rps PORT TEST PIPELINE REQUESTS
rps() { redis-benchmark -p "$1" -c 50 -P "$3" -n "$4" -r 100000 -t "$2" --csv 2>/dev/null | tail -1 | awk -F'","' '{gsub(/"/,"",$2); print $2}'; }

NATS_PORT=$(free_port)
nats-server -a 127.0.0.1 -p "$NATS_PORT" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
NATS=nats://127.0.0.1:$NATS_PORT
PRIMARY=$(free_port); R1=$(free_port); R2=$(free_port)
for spec in "p $PRIMARY" "r1 $R1 --replicaof p" "r2 $R2 --replicaof p"; do
    set -- $spec
    name=$1 port=$2; shift 2
    target/release/rg-node --port "$port" --log-level warn --nats-url "$NATS" --group bench --node-id "$name" "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    wait_ready "$port"
done
ROUTER=$(free_port)
target/release/rg-router --nats-url "$NATS" --group bench --smart-port "$ROUTER" --primary-port "$(free_port)" \
    --reader-port "$(free_port)" --metrics-port 0 --log-level warn >"$WORK/router.log" 2>&1 &
PIDS+=($!)
wait_ready "$ROUTER"
# The router routes reads to replicas once it has heard them.
for _ in $(seq 1 100); do
    redis-cli -p "$ROUTER" info router | grep -q 'replica1:.*fit=1' && break
    sleep 0.1
done
TWEM=$(free_port)
cat >"$WORK/twemproxy.yml" <<YML
bench:
  listen: 127.0.0.1:$TWEM
  redis: true
  hash: fnv1a_64
  distribution: ketama
  servers:
    - 127.0.0.1:$PRIMARY:1
YML
nutcracker -c "$WORK/twemproxy.yml" -o "$WORK/twemproxy.log" &
PIDS+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$TWEM") 2>/dev/null && break; sleep 0.05; done

declare -A runs
for _ in $(seq 1 "$REPEATS"); do
    for pipeline in 1 16; do
        requests=$REQUESTS_P1; [ "$pipeline" = 16 ] && requests=$REQUESTS_P16
        for test in get set; do
            for target in direct router twemproxy; do
                case $target in direct) port=$PRIMARY ;; router) port=$ROUTER ;; twemproxy) port=$TWEM ;; esac
                runs[$target-$test-$pipeline]+="$(rps "$port" "$test" "$pipeline" "$requests") "
            done
        done
    done
done

echo '| through | -P | GET/s | SET/s | GET router/x | SET router/x |'
echo '| --- | ---: | ---: | ---: | ---: | ---: |'
for pipeline in 1 16; do
    rg_get=$(median ${runs[router-get-$pipeline]}); rg_set=$(median ${runs[router-set-$pipeline]})
    for target in router direct twemproxy; do
        get=$(median ${runs[$target-get-$pipeline]}); set=$(median ${runs[$target-set-$pipeline]})
        python3 - "$target" "$pipeline" "$get" "$set" "$rg_get" "$rg_set" <<'PY'
import sys
target, pipeline = sys.argv[1], sys.argv[2]
get, set_, rg_get, rg_set = map(float, sys.argv[3:7])
ratios = '| | |' if target == 'router' else f'| {rg_get/get:.2f} | {rg_set/set_:.2f} |'
print(f'| {target} | {pipeline} | {get:,.0f} | {set_:,.0f} {ratios}')
PY
    done
done
