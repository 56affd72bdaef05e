#!/usr/bin/env bash
# The project's one test command: installs what is missing on a fresh Debian machine, then
# runs formatting, lints, the dependency-arrow check and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nats-server >/dev/null || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
# nats-py and redis-py, for the tests that use clients written by others (redis-py pinned:
# its defaults are what the test holds the router to). The variable is not RG_-prefixed:
# the services read RG_ variables as their settings.
export RGROUP_TEST_PYTHON="$PWD/target/py/bin/python"
REDIS_PY=8.1.0
if ! "$RGROUP_TEST_PYTHON" -c "import nats, redis; assert redis.__version__ == '$REDIS_PY'" 2>/dev/null; then
    python3 -m venv target/py 2>/dev/null || {
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv target/py
    }
    target/py/bin/pip install --quiet nats-py "redis==$REDIS_PY"
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
scripts/check-deps.sh
cargo build --workspace --bins
cargo nextest run --workspace --no-fail-fast
# The compose chaos tests, when a Docker engine answers (the script says so when not).
scripts/compose-test.sh
