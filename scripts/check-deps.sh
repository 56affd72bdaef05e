#!/usr/bin/env bash
# Keeps the dependency arrows that are the architecture: the pure crates (codec, command
# table) never pull in tokio, async-nats or figment, and no service depends on another.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for crate in rg-resp rg-commands rg-proto rg-failover; do
    for forbidden in tokio async-nats figment; do
        if cargo tree -p "$crate" -e normal --prefix none | grep -q "^$forbidden "; then
            echo "check-deps: $crate must not depend on $forbidden" >&2
            status=1
        fi
    done
done
for crate in $(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if any(d["name"] == "async-nats" for d in p["dependencies"]) and p["name"] != "rg-bus":
        print(p["name"])'); do
    echo "check-deps: only rg-bus may depend on async-nats, not $crate" >&2
    status=1
done
services=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if "/services/" in p["manifest_path"]:
        print(p["name"])')
for service in $services; do
    for other in $services; do
        [ "$service" = "$other" ] && continue
        if cargo tree -p "$service" -e normal --prefix none | grep -q "^$other "; then
            echo "check-deps: service $service must not depend on service $other" >&2
            status=1
        fi
    done
done
[ $status = 0 ] && echo "check-deps: dependency arrows hold"
exit $status
