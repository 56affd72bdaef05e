# One image for every rgroup service (rg-node, rg-sentinel, rg-router, rgctl) and the bus
# (nats-server), built from source. This is the path for machines that can pull public
# images; scripts/docker-images.sh builds the same tag without pulling anything.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# Without the line tables the release profile keeps for profiling: a smaller image.
ENV CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=debuginfo
RUN cargo build --release --locked -p rg-node -p rg-sentinel -p rg-router -p rgctl

FROM nats:2.10-alpine AS nats

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/rg-node /src/target/release/rg-sentinel \
     /src/target/release/rg-router /src/target/release/rgctl /usr/local/bin/
COPY --from=nats /usr/local/bin/nats-server /usr/local/bin/nats-server
USER nonroot
ENTRYPOINT []
