#!/usr/bin/env bash
# A whole replication group as local processes, without Docker: nats-server with JetStream,
# three rg-nodes (n1 primary in az-a, n2 and n3 replicas in az-b and az-c), three
# rg-sentinels (s1, s2, s3) and an rg-router (smart, primary and reader endpoints).
#
#   scripts/local-group.sh up       start everything (building release binaries if needed)
#   scripts/local-group.sh status   one line per process: kind, id, role, address, pid
#   scripts/local-group.sh down     stop everything and forget the group's state
#
# Environment: RG_RUN_DIR (logs, pid files, JetStream store; default .rgroup/ in the repo),
# RG_BIN_DIR (where rg-node and rg-sentinel are; default target/release, built if missing),
# RG_GROUP (default cache), RG_NATS_PORT (4222), RG_NODE1_PORT..RG_NODE3_PORT (7001-7003),
# RG_SENTINEL1_PORT..RG_SENTINEL3_PORT (26379-26381), RG_ROUTER_SMART_PORT (6379),
# RG_ROUTER_PRIMARY_PORT (6380), RG_ROUTER_READER_PORT (6381), RG_ROUTER_METRICS_PORT (9121).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${RG_RUN_DIR:-$ROOT/.rgroup}
BIN=${RG_BIN_DIR:-$ROOT/target/release}
GROUP=${RG_GROUP:-cache}
NATS_PORT=${RG_NATS_PORT:-4222}
NODE_PORTS=("${RG_NODE1_PORT:-7001}" "${RG_NODE2_PORT:-7002}" "${RG_NODE3_PORT:-7003}")
SENTINEL_PORTS=("${RG_SENTINEL1_PORT:-26379}" "${RG_SENTINEL2_PORT:-26380}" "${RG_SENTINEL3_PORT:-26381}")
ROUTER_PORTS=("${RG_ROUTER_SMART_PORT:-6379}" "${RG_ROUTER_PRIMARY_PORT:-6380}" "${RG_ROUTER_READER_PORT:-6381}")
METRICS_PORT=${RG_ROUTER_METRICS_PORT:-9121}
AZS=(az-a az-b az-c)
NATS_URL=nats://127.0.0.1:$NATS_PORT
# The services read RG_ variables as their settings: keep this script's own out of theirs
# (other RG_ variables, such as RG_LOG_LEVEL, pass through to every service).
unset RG_RUN_DIR RG_BIN_DIR RG_GROUP RG_NATS_PORT RG_NODE1_PORT RG_NODE2_PORT RG_NODE3_PORT \
    RG_SENTINEL1_PORT RG_SENTINEL2_PORT RG_SENTINEL3_PORT RG_ROUTER_SMART_PORT \
    RG_ROUTER_PRIMARY_PORT RG_ROUTER_READER_PORT RG_ROUTER_METRICS_PORT

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

wait_port() {
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "local-group: nothing answered on port $1; see $RUN/$2.log" >&2
    exit 1
}

# start NAME PORT COMMAND...: runs COMMAND in the background, logging to RUN/NAME.log.
start() {
    local name=$1 port=$2; shift 2
    if alive "$name"; then
        echo "local-group: $name is already running (pid $(cat "$RUN/$name.pid"))" >&2
        return
    fi
    "$@" >"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    wait_port "$port" "$name"
}

# JetStream syncs every write to disk before acknowledging it where the server can
# (sync_interval, nats-server 2.10+), so the topology record survives a server crash;
# older servers flush periodically, and the script says so.
nats_config() {
    local config=$RUN/nats.conf sync=""
    local version
    version=$(nats-server --version | sed 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
    read -r major minor <<<"$version"
    if [ "$major" -gt 2 ] || { [ "$major" = 2 ] && [ "$minor" -ge 10 ]; }; then
        sync="sync_interval: always"
    else
        echo "local-group: nats-server $major.$minor cannot sync JetStream writes at once; the topology record may lose its last change in a server crash" >&2
    fi
    cat >"$config" <<CONF
host: 127.0.0.1
port: $NATS_PORT
jetstream {
    store_dir: "$RUN/js"
    $sync
}
CONF
    echo "$config"
}

up() {
    command -v nats-server >/dev/null || { echo "local-group: needs nats-server" >&2; exit 1; }
    if [ ! -x "$BIN/rg-node" ] || [ ! -x "$BIN/rg-sentinel" ] || [ ! -x "$BIN/rg-router" ]; then
        (cd "$ROOT" && cargo build --release -p rg-node -p rg-sentinel -p rg-router)
    fi
    mkdir -p "$RUN/js" "$RUN/state"
    start nats "$NATS_PORT" nats-server -c "$(nats_config)"
    for i in 1 2 3; do
        local follow=()
        [ "$i" = 1 ] || follow=(--replicaof n1)
        start "n$i" "${NODE_PORTS[$((i - 1))]}" "$BIN/rg-node" --port "${NODE_PORTS[$((i - 1))]}" \
            --nats-url "$NATS_URL" --group "$GROUP" --node-id "n$i" --az "${AZS[$((i - 1))]}" \
            --sentinels s1,s2,s3 --min-replicas-to-write 1 --min-replicas-max-lag-ms 200 --fence-timeout-ms 800 \
            "${follow[@]}"
    done
    for i in 1 2 3; do
        start "s$i" "${SENTINEL_PORTS[$((i - 1))]}" "$BIN/rg-sentinel" --id "s$i" \
            --port "${SENTINEL_PORTS[$((i - 1))]}" --nats-url "$NATS_URL" --group "$GROUP" \
            --sentinels s1,s2,s3 --state-dir "$RUN/state"
    done
    start router "${ROUTER_PORTS[0]}" "$BIN/rg-router" --nats-url "$NATS_URL" --group "$GROUP" \
        --az az-a --smart-port "${ROUTER_PORTS[0]}" --primary-port "${ROUTER_PORTS[1]}" \
        --reader-port "${ROUTER_PORTS[2]}" --metrics-port "$METRICS_PORT"
    status
}

role() {
    command -v redis-cli >/dev/null || { echo "?"; return; }
    redis-cli -p "$1" info replication 2>/dev/null | tr -d '\r' | awk -F: '$1 == "role" {print $2}' | grep . || echo "down"
}

status() {
    printf '%-9s %-3s %-8s %-22s %s\n' KIND ID ROLE ADDRESS PID
    line() {
        local kind=$1 name=$2 role=$3 port=$4 pid=dead
        alive "$name" && pid=$(cat "$RUN/$name.pid")
        printf '%-9s %-3s %-8s %-22s %s\n' "$kind" "$name" "$role" "127.0.0.1:$port" "$pid"
    }
    line nats nats - "$NATS_PORT"
    for i in 1 2 3; do line node "n$i" "$(role "${NODE_PORTS[$((i - 1))]}")" "${NODE_PORTS[$((i - 1))]}"; done
    for i in 1 2 3; do line sentinel "s$i" - "${SENTINEL_PORTS[$((i - 1))]}"; done
    local pid=dead
    alive router && pid=$(cat "$RUN/router.pid")
    printf '%-9s %-3s %-8s %-22s %s\n' router r - \
        "smart=127.0.0.1:${ROUTER_PORTS[0]},primary=127.0.0.1:${ROUTER_PORTS[1]},reader=127.0.0.1:${ROUTER_PORTS[2]},metrics=127.0.0.1:$METRICS_PORT" "$pid"
}

down() {
    for name in router s1 s2 s3 n1 n2 n3 nats; do
        if alive "$name"; then
            kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
        fi
    done
    for name in router s1 s2 s3 n1 n2 n3 nats; do
        if [ -f "$RUN/$name.pid" ]; then
            local pid
            pid=$(cat "$RUN/$name.pid")
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$RUN/$name.pid"
        fi
    done
    # The next `up` starts a fresh group: no topology record, no votes.
    rm -rf "$RUN/js" "$RUN/state"
    echo "local-group: stopped (logs kept in $RUN)"
}

mkdir -p "$RUN"
case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
