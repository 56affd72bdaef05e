#!/usr/bin/env bash
# Fuzzes the RESP parsers (target `parse`, see fuzz_targets/parse.rs) on one core.
#
#   shared/resp/fuzz/run.sh [SECONDS] [LIBFUZZER_FLAGS...]     (SECONDS defaults to 600)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The committed seeds in
# fuzz/seeds/parse are copied into the working corpus fuzz/corpus/parse (git-ignored, kept
# between runs); a crash is written to fuzz/artifacts/parse/ and can be replayed with
#   cargo +nightly fuzz run -a parse fuzz/artifacts/parse/crash-...   (from shared/resp)
set -euo pipefail

seconds="${1:-600}"
shift || true

cd "$(dirname "${BASH_SOURCE[0]}")/.."    # shared/resp, the crate that owns fuzz/
mkdir -p fuzz/corpus/parse
cp fuzz/seeds/parse/* fuzz/corpus/parse/

# -a: debug assertions on, so that integer overflow panics instead of wrapping.
exec cargo +nightly fuzz run -a parse fuzz/corpus/parse -- \
    -max_total_time="$seconds" -print_final_stats=1 "$@"
