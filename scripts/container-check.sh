#!/usr/bin/env bash
# Containers with real parts (needs root): brings up scripts/container-testbed.sh (podman with
# runc, the TLS registry with a password, podman's API for the docker CLI, busybox images), runs
# ContainerTests with the static release agent inside the images, and takes it all down. The SSH
# test bed, when up, gives the two-host test its hosts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "container-check: needs root (rootful podman); skipped" >&2; exit 0; }
command -v docker >/dev/null || { echo "container-check: needs the docker CLI (its driver is tested)" >&2; exit 1; }
[ -x packaging/out/swiftlet-agent ] || packaging/build-release.sh >/dev/null
state=${SWIFTLET_CONTAINER_TESTBED:-/tmp/swiftlet-containers}
log=$(mktemp)
trap 'scripts/container-testbed.sh down; rm -f "$log"' EXIT
scripts/container-testbed.sh up
status=0
SWIFTLET_CONTAINER_TESTBED=$state SWIFTLET_STATIC_AGENT=$PWD/packaging/out/swiftlet-agent \
    swift test --skip-build --filter "ContainerTests|ContainerGPUTests" >"$log" 2>&1 || status=$?
grep -E "✘|↳|SKIPPED|Test run with" "$log" | grep -v "↳ ///" || true
if grep -q "SKIPPED containers" "$log"; then echo "container-check: the container tests were skipped" >&2; exit 1; fi
exit $status
