#!/usr/bin/env bash
# Builds the release binaries as fully static executables (glibc, the Swift runtime and
# libcrypto linked in; no PIE relocations, so each starts in about a millisecond), strips them,
# writes their sha256, and fails if either is not static.
#   packaging/build-release.sh [OUT_DIR]      (default: packaging/out)
# The agent built here is what the controller beside it installs on nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-packaging/out}
scratch=.build-release
log=$(mktemp)
# Product by product: swiftlet-agent-host links libsystemd, which has no static library.
for product in swiftlet-agent swiftlet; do
    if ! swift build -c release --scratch-path "$scratch" --product "$product" --static-swift-stdlib -Xswiftc -static-executable >"$log" 2>&1; then
        grep -v "Cannot export local symbol\|warning: Using '\|is dangerous" "$log" | tail -n 40 >&2
        exit 1
    fi
done
rm -f "$log"
mkdir -p "$out"
for binary in swiftlet-agent swiftlet; do
    strip -o "$out/$binary.tmp" "$scratch/release/$binary"
    mv -f "$out/$binary.tmp" "$out/$binary"
    if ldd "$out/$binary" >/dev/null 2>&1; then
        echo "build-release: $out/$binary is dynamically linked:" >&2
        ldd "$out/$binary" >&2
        exit 1
    fi
    (cd "$out" && sha256sum "$binary" > "$binary.sha256")
    size=$(stat -c %s "$out/$binary")
    echo "build-release: $out/$binary static, $((size / 1024 / 1024)) MB, sha256 $(cut -d' ' -f1 "$out/$binary.sha256")"
done
