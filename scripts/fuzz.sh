#!/usr/bin/env bash
# Fuzzes the protocol decoders with libFuzzer for a bounded time (default 30 s).
# A crasher is saved in Fuzz/crashes/; turn each one into a regression test in
# Tests/SwiftletProtocolTests/FuzzRegressionTests.swift.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds=${1:-30}
log=$(mktemp)
if ! swift build -c debug --product ProtocolFuzzer >"$log" 2>&1; then
    grep -v "Cannot export local symbol" "$log" | tail -n 40
    exit 1
fi
rm -f "$log"
mkdir -p corpus crashes
../scripts/fuzz-seeds.sh corpus
# libFuzzer reports a crash itself; Swift's backtracer would symbolicate the large binary for
# minutes before the run could end.
SWIFT_BACKTRACE=enable=no .build/debug/ProtocolFuzzer corpus -max_total_time="$seconds" -max_len=4096 -artifact_prefix=crashes/ -print_final_stats=1 2>&1 | tail -n 12
