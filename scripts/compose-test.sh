#!/usr/bin/env bash
# The compose chaos tests: the whole stack from compose.yaml, with images built here
# without pulling (scripts/docker-images.sh), driven from the host with redis-cli and
# rgctl. Kills and partitions real containers. Without a Docker engine it says so and
# exits 0. Everything it creates is removed at the end, also when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info >/dev/null 2>&1; then
    echo "compose tests not run: no Docker engine answers (docker info failed)"
    exit 0
fi
if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null; then
    COMPOSE=(docker-compose)
else
    echo "compose tests not run: a Docker engine answers but neither 'docker compose' nor docker-compose is installed"
    exit 0
fi
PROJECT=rgtest$$
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export RG_SMART_PORT=$(free_port) RG_PRIMARY_PORT=$(free_port) RG_READER_PORT=$(free_port)
compose() { "${COMPOSE[@]}" -p "$PROJECT" "$@"; }
EVENTS=$(mktemp)
cleanup() {
    local status=$?
    if [ "$status" != 0 ]; then
        echo "---- compose logs (failed: $status) ----"
        compose logs --tail 40 2>&1 | tail -200 || true
    fi
    [ -n "${FOLLOWER:-}" ] && kill "$FOLLOWER" 2>/dev/null || true
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    rm -f "$EVENTS"
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# eventually SECONDS COMMAND...: retries until the command succeeds.
eventually() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "never: $*"
        sleep 0.5
    done
}
rgctl() { compose exec -T sentinel-1 rgctl "$@"; }
container() { compose ps -q "$1"; }
ip_on() { docker inspect -f "{{(index .NetworkSettings.Networks \"${PROJECT}_$2\").IPAddress}}" "$(container "$1")"; }
role_of() { redis-cli -h "$(ip_on "$1" data)" -p 6379 info replication 2>/dev/null | tr -d '\r' | awk -F: '$1=="role"{print $2}'; }
primary_name() { rgctl describe-replication-groups --replication-group-id cache --output text | awk -F'\t' '$4=="primary"{print $3}'; }
router() { redis-cli -p "$RG_SMART_PORT" "$@"; }

step "images (no pull) and stack"
scripts/docker-images.sh
compose up -d --no-build >/dev/null
eventually 120 sh -c "[ \"\$(${COMPOSE[*]} -p $PROJECT ps -q register | xargs docker inspect -f '{{.State.Status}} {{.State.ExitCode}}')\" = 'exited 0' ]"
eventually 60 sh -c "${COMPOSE[*]} -p $PROJECT exec -T sentinel-1 rgctl describe-replication-groups --replication-group-id cache | grep -q '\"Status\": \"available\"'"

step "SET and GET through the router with redis-cli and redis-benchmark"
eventually 30 sh -c "[ \"\$(redis-cli -p $RG_SMART_PORT set greeting hello)\" = OK ]"
[ "$(router get greeting)" = hello ] || fail "GET through the router"
redis-benchmark -p "$RG_SMART_PORT" -c 10 -n 2000 -t set,get -q >/dev/null || fail "redis-benchmark through the router"

step "events on the bus"
compose exec -T sentinel-1 rgctl events --follow --output json >"$EVENTS" 2>/dev/null &
FOLLOWER=$!
sleep 1

step "docker kill the primary under writes"
first=$(primary_name)
[ -n "$first" ] || fail "no primary described"
( for i in $(seq 1 3000); do redis-cli -p "$RG_SMART_PORT" set "load:$i" "$i" >/dev/null 2>&1 || true; done ) &
LOAD=$!
sleep 1
docker kill "$(container "${first}")" >/dev/null
eventually 60 sh -c "[ -n \"\$(${COMPOSE[*]} -p $PROJECT exec -T sentinel-1 rgctl describe-replication-groups --replication-group-id cache --output text | awk -F'\t' '\$4==\"primary\" && \$3!=\"$first\"{print \$3}')\" ]"
second=$(primary_name)
eventually 30 sh -c "[ \"\$(redis-cli -p $RG_SMART_PORT set after-kill yes)\" = OK ]"
wait "$LOAD" || true
eventually 10 grep -q FailoverComplete "$EVENTS"
echo "   $first -> $second; FailoverComplete received"
compose start "$first" >/dev/null
eventually 60 sh -c "[ \"\$(redis-cli -h \$(docker inspect -f '{{(index .NetworkSettings.Networks \"${PROJECT}_data\").IPAddress}}' \$(${COMPOSE[*]} -p $PROJECT ps -q $first)) -p 6379 info replication | tr -d '\r' | awk -F: '\$1==\"role\"{print \$2}')\" = slave ]"

step "cut the primary off the bus: it fences itself, a new primary is elected, it rejoins"
cut=$second
docker network disconnect "${PROJECT}_bus" "$(container "$cut")"
cut_ip=$(ip_on "$cut" data)
# Refused one way or another: fenced (off the bus, or superseded by the new epoch), no
# replica acking (min-replicas-max-lag-ms), or already re-pointed as a replica (it can
# happen within 100 ms of the fence, so the fence's own words may never be seen).
eventually 30 sh -c "redis-cli -h $cut_ip -p 6379 set during-cut x 2>&1 | grep -qE 'fenced|NOREPLICAS|read only replica'"
eventually 60 sh -c "[ -n \"\$(${COMPOSE[*]} -p $PROJECT exec -T sentinel-1 rgctl describe-replication-groups --replication-group-id cache --output text | awk -F'\t' '\$4==\"primary\" && \$3!=\"$cut\"{print \$3}')\" ]"
eventually 30 sh -c "[ \"\$(redis-cli -p $RG_SMART_PORT set after-cut yes)\" = OK ]"
docker network connect "${PROJECT}_bus" "$(container "$cut")"
eventually 60 sh -c "[ \"\$(redis-cli -h $cut_ip -p 6379 info replication | tr -d '\r' | awk -F: '\$1==\"role\"{print \$2}')\" = slave ]"
[ -z "$(router get during-cut)" ] || fail "a write taken in the old epoch survived"
echo "   $cut fenced, replaced, rejoined as a replica; nothing written in the old epoch"

step "a sentinel stopped: the group still fails over"
compose stop sentinel-3 >/dev/null
third=$(primary_name)
docker kill "$(container "$third")" >/dev/null
eventually 60 sh -c "[ -n \"\$(${COMPOSE[*]} -p $PROJECT exec -T sentinel-1 rgctl describe-replication-groups --replication-group-id cache --output text | awk -F'\t' '\$4==\"primary\" && \$3!=\"$third\"{print \$3}')\" ]"
eventually 30 sh -c "[ \"\$(redis-cli -p $RG_SMART_PORT set after-sentinel yes)\" = OK ]"
compose start sentinel-3 "$third" >/dev/null

step "one NATS server killed: reads, writes and a failover still work, the record is kept"
docker kill "$(container nats-2)" >/dev/null
eventually 30 sh -c "[ \"\$(redis-cli -p $RG_SMART_PORT set with-two-nats yes)\" = OK ]"
[ "$(router get with-two-nats)" = yes ] || fail "read with two NATS servers"
fourth=$(primary_name)
eventually 60 sh -c "[ \"\$(redis-cli -h \$(docker inspect -f '{{(index .NetworkSettings.Networks \"${PROJECT}_data\").IPAddress}}' \$(${COMPOSE[*]} -p $PROJECT ps -q $third)) -p 6379 info replication | tr -d '\r' | awk -F: '\$1==\"role\"{print \$2}')\" = slave ]"
docker kill "$(container "$fourth")" >/dev/null
eventually 60 sh -c "[ -n \"\$(${COMPOSE[*]} -p $PROJECT exec -T sentinel-1 rgctl describe-replication-groups --replication-group-id cache --output text | awk -F'\t' '\$4==\"primary\" && \$3!=\"$fourth\"{print \$3}')\" ]"
eventually 30 sh -c "[ \"\$(redis-cli -p $RG_SMART_PORT set after-nats-kill yes)\" = OK ]"

echo "compose tests passed"
