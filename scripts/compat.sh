#!/usr/bin/env bash
# Redis's own tests and redis-py's own tests, run against a real redis-server 7.0, a bare
# rg-node and a whole group through rg-router's smart endpoint, side by side in one run.
#
#   scripts/compat.sh [redis-py|tcl|all]     (default all)
#
# Redis's TCL suite runs the way Redis's "external server" CI job runs it (`runtest --host
# --port --tags -slow`), one unit at a time with --durable so that one unknown command does
# not end the unit's count. Its source is the Debian archive's copy of the 7.0.15 release
# tarball (checked by sha256); redis-py's tests come from its pinned source distribution on PyPI.
#
# The script fails when a test listed in tests/compat/<suite>-<target>.pass fails: those
# lists are the tests known to pass, so a change that breaks one is caught. It prints the
# tests that pass now and are not listed yet, to be added.
#
# Environment: RG_BIN_DIR (debug binaries by default; built if missing), COMPAT_DIR (where
# the suites and logs go; default target/compat), COMPAT_TARGETS (default "redis node router").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WHAT=${1:-all}
BIN=${RG_BIN_DIR:-$ROOT/target/debug}
WORK=${COMPAT_DIR:-$ROOT/target/compat}
TARGETS=${COMPAT_TARGETS:-redis node router}
unset RG_BIN_DIR COMPAT_DIR COMPAT_TARGETS

REDIS_PY=8.1.0
REDIS_SRC=7.0.15
REDIS_SRC_SHA256=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
REDIS_SRC_URL=http://deb.debian.org/debian/pool/main/r/redis/redis_$REDIS_SRC.orig.tar.gz
# redis-py's test files about what a standalone server does (not cluster, modules, TLS, or
# the client's own internals).
REDIS_PY_FILES="test_commands.py test_pipeline.py test_pubsub.py test_scripting.py
test_function.py test_lock.py test_encoding.py test_hash.py test_keyspace_notifications.py
test_monitor.py test_connection.py test_cache.py"
# The units the external job covers that are about commands (the rest need a server the
# suite starts itself, or Redis's internals).
TCL_UNITS="unit/protocol unit/type/string unit/type/incr unit/type/hash unit/type/list
unit/type/set unit/type/zset unit/expire unit/keyspace unit/info-command unit/pubsub unit/multi
unit/scripting unit/functions unit/type/stream unit/type/stream-cgroups unit/bitops
unit/hyperloglog unit/geo unit/sort unit/tracking"

mkdir -p "$WORK"
LOGS=$WORK/logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    RG_RUN_DIR=$WORK/group RG_BIN_DIR=$BIN scripts/local-group.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ping() {
    for _ in $(seq 1 200); do
        [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.05
    done
    echo "compat: nothing answers PING on port $1" >&2
    exit 1
}

fetch_suites() {
    if [ ! -d "$WORK/redis-$REDIS_SRC/tests" ]; then
        curl -fsSL -o "$WORK/redis.tar.gz" "$REDIS_SRC_URL"
        echo "$REDIS_SRC_SHA256  $WORK/redis.tar.gz" | sha256sum -c --quiet
        tar -xzf "$WORK/redis.tar.gz" -C "$WORK"
        # runtest looks for the binaries next to the tests; external mode only runs the clients.
        mkdir -p "$WORK/redis-$REDIS_SRC/src"
        for tool in redis-server redis-cli redis-benchmark; do
            ln -sf "$(command -v $tool)" "$WORK/redis-$REDIS_SRC/src/$tool"
        done
    fi
    if [ ! -d "$WORK/redis-$REDIS_PY/tests" ]; then
        python3 -m venv "$WORK/py"
        "$WORK/py/bin/pip" install --quiet "redis==$REDIS_PY" pytest pytest-asyncio pytest-timeout \
            packaging numpy
        "$WORK/py/bin/pip" download --quiet --no-binary :all: --no-deps "redis==$REDIS_PY" -d "$WORK"
        tar -xzf "$WORK/redis-$REDIS_PY.tar.gz" -C "$WORK"
    fi
    command -v tclsh >/dev/null || {
        if [ "$(id -u)" = 0 ]; then apt-get install -y -qq tcl >/dev/null; else sudo apt-get install -y -qq tcl >/dev/null; fi
    }
}

# start_target NAME: starts it and sets PORT to the port clients use.
start_target() {
    local port
    case $1 in
    redis)
        port=$(free_port)
        # The flags of Redis's external CI job.
        redis-server --port "$port" --dir "$LOGS" --save "" --appendonly no --enable-protected-configs yes \
            --enable-debug-command yes --enable-module-command yes >"$LOGS/redis.log" 2>&1 &
        PIDS+=($!)
        ;;
    node)
        port=$(free_port)
        "$BIN/rg-node" --port "$port" >"$LOGS/node.log" 2>&1 &
        PIDS+=($!)
        ;;
    router)
        port=$(free_port)
        local base
        base=$(free_port)
        RG_RUN_DIR=$WORK/group RG_BIN_DIR=$BIN RG_GROUP=compat \
            RG_NATS_PORT=$(free_port) RG_NODE1_PORT=$(free_port) RG_NODE2_PORT=$(free_port) \
            RG_NODE3_PORT=$(free_port) RG_SENTINEL1_PORT=$(free_port) RG_SENTINEL2_PORT=$(free_port) \
            RG_SENTINEL3_PORT=$(free_port) RG_ROUTER_SMART_PORT=$port \
            RG_ROUTER_PRIMARY_PORT=$(free_port) RG_ROUTER_READER_PORT=$(free_port) \
            RG_ROUTER_METRICS_PORT=$base scripts/local-group.sh up >"$LOGS/group.log" 2>&1
        ;;
    esac
    wait_ping "$port"
    PORT=$port
}

stop_target() {
    case $1 in
    router) RG_RUN_DIR=$WORK/group RG_BIN_DIR=$BIN scripts/local-group.sh down >/dev/null 2>&1 || true ;;
    *) kill "${PIDS[-1]}" 2>/dev/null || true; wait "${PIDS[-1]}" 2>/dev/null || true ;;
    esac
}

run_redis_py() {
    local target=$1 port=$2 files=()
    for f in $REDIS_PY_FILES; do files+=("tests/$f"); done
    (cd "$WORK/redis-$REDIS_PY" && timeout 1200 "$WORK/py/bin/python" -m pytest "${files[@]}" \
        -q --timeout 10 -p no:cacheprovider -W ignore --redis-url "redis://127.0.0.1:$port/0" \
        --junitxml "$LOGS/redis-py-$target.xml" >"$LOGS/redis-py-$target.txt" 2>&1) || true
}

run_tcl() {
    local target=$1 port=$2
    : >"$LOGS/tcl-$target.txt"
    for unit in $TCL_UNITS; do
        (cd "$WORK/redis-$REDIS_SRC" && timeout 600 ./runtest --host 127.0.0.1 --port "$port" \
            --tags -slow --durable --timeout 60 --single "$unit" 2>&1 |
            sed 's/\x1b\[[0-9;]*m//g' | sed "s|^|$unit |" >>"$LOGS/tcl-$target.txt") || true
    done
}

[ -x "$BIN/rg-node" ] && [ -x "$BIN/rg-router" ] || cargo build --workspace --bins
fetch_suites
for target in $TARGETS; do
    start_target "$target"
    echo "compat: $target on port $PORT"
    case $WHAT in
    redis-py) run_redis_py "$target" "$PORT" ;;
    tcl) run_tcl "$target" "$PORT" ;;
    all) run_redis_py "$target" "$PORT"; run_tcl "$target" "$PORT" ;;
    esac
    stop_target "$target"
done
python3 scripts/compat_report.py "$LOGS" tests/compat $TARGETS
