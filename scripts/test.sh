#!/usr/bin/env bash
# The whole test suite: the format lint, unit tests, the real agent over pipes, the SSH test bed
# (network namespaces with their own sshd), a bounded stress run of one node (two controllers,
# random kills, a filling disk), the static agent in hostile root file systems, containers with
# podman, the docker CLI and a private registry, and a bounded fuzzing run of the protocol decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
# Everything the tests write to a temp directory (node homes with agent copies, compiler
# temporaries) goes to one folder of this run, removed when it ends, with the processes still
# running from it (local nodes' agent daemons, keepers): a run leaves the machine as it found it.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/swiftlet-run.XXXXXX")
export TMPDIR
leave_nothing_running() {
    local pid
    for pid in $(pgrep -f swiftlet); do
        if grep -q "$TMPDIR/" "/proc/$pid/cmdline" 2>/dev/null || grep -qz "^HOME=$TMPDIR/" "/proc/$pid/environ" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}
# The tests' homes have long paths, so their ssh sockets live in /tmp/swiftlet-ssh-UID/HASH
# (a socket's path is short): an empty one is of use to nobody (a launch makes it again).
remove_empty_socket_directories() {
    local sockets=/tmp/swiftlet-ssh-$(id -u)
    [ -d "$sockets" ] || return 0
    find "$sockets" -mindepth 1 -maxdepth 1 -type d -empty -delete 2>/dev/null || true
    rmdir "$sockets" 2>/dev/null || true
}
trap 'leave_nothing_running; rm -rf "$TMPDIR"; remove_empty_socket_directories' EXIT
swift format lint --strict --recursive Sources Tests Package.swift
# SkyPilot 0.14.1 from PyPI (the schema tests' oracle), installed while the build runs.
mkdir -p .build
oracle=.build/skypilot-0.14.1
scripts/skypilot-oracle-env.sh "$oracle" >.build/skypilot-oracle-install.log 2>&1 &
oracle_install=$!
swift build --build-tests -Xswiftc -warnings-as-errors
if wait "$oracle_install"; then
    export SWIFTLET_SKYPILOT_PYTHON="$PWD/$oracle/bin/python"
else
    echo "warning: SkyPilot 0.14.1 could not be installed (.build/skypilot-oracle-install.log); its oracle test says so" >&2
fi
if [ "$(id -u)" -eq 0 ]; then
    scripts/testbed.sh up 9
    export SWIFTLET_TESTBED_REQUIRED=1
else
    echo "not root: the SSH test bed cannot start; SSH tests will be skipped" >&2
fi
# At most 16 tests at once: unbounded, all 300 start together on two cores, and a node's first
# bootstrap (dozens of 30 MB debug agents sent at once) can outwait the agent's 60 s handshake.
# Bounded, the run is also quicker (141 s against 170-220 s).
swift test --skip-build --experimental-maximum-parallelization-width 16
scripts/stress.sh "${STRESS_SECONDS:-40}"
scripts/portability-check.sh
scripts/container-check.sh
scripts/package-check.sh
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
