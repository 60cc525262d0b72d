#!/usr/bin/env bash
# A/B of two builds on the exec round trip: `swiftlet exec bench -- true` on a warm 1-node
# cluster, build A on test-bed host 1 and build B on host 2 (each with its own SWIFTLET_HOME),
# interleaved; then the same with the hosts swapped. Medians of RUNS each.
#   bench/ab-exec.sh DIR_A DIR_B [RUNS]   (each DIR as packaging/build-release.sh DIR writes it)
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); runs=${3:-30}
bed=${SWIFTLET_TESTBED:-/tmp/swiftlet-testbed}
scripts/testbed.sh up 2 >/dev/null
work=$(mktemp -d /tmp/swiftlet-bench.XXXXXX)
cleanup() {
    for home in "$work"/*/; do
        [ -f "$home/dir" ] && SWIFTLET_HOME=$home "$(cat "$home/dir")/swiftlet" down bench >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# home NAME DIR HOST: a warm cluster `bench` of one node, test-bed host HOST, run by the build in DIR.
home() {
    local home="$work/$1"
    mkdir -p "$home"
    echo "$2" > "$home/dir"
    printf 'p:\n  user: root\n  identity_file: %s\n  hosts:\n    - 10.213.0.%d\n' "$bed/client_key" $((10 + $3)) > "$home/ssh_node_pools.yaml"
    printf 'run: "true"\n' > "$home/task.yaml"
    SWIFTLET_HOME=$home SWIFTLET_AGENT_BINARY=$2/swiftlet-agent "$2/swiftlet" launch "$home/task.yaml" -c bench --infra ssh/p >"$home/launch.log" 2>&1 ||
        { cat "$home/launch.log" >&2; exit 1; }
}

# exec_ms HOME: nanoseconds of one round trip.
exec_ns() {
    local dir start
    dir=$(cat "$1/dir")
    start=$(now)
    SWIFTLET_HOME=$1 SWIFTLET_AGENT_BINARY=$dir/swiftlet-agent "$dir/swiftlet" exec bench -- true >/dev/null
    echo $(( $(now) - start ))
}

for round in 1 2; do
    if [ "$round" = 1 ]; then ha=1 hb=2; else ha=2 hb=1; fi
    home "a$round" "$a" "$ha"
    home "b$round" "$b" "$hb"
    times_a=(); times_b=()
    for _ in $(seq "$runs"); do
        times_a+=("$(exec_ns "$work/a$round")")
        times_b+=("$(exec_ns "$work/b$round")")
    done
    awk -v a="$(median "${times_a[@]}")" -v b="$(median "${times_b[@]}")" -v ha="$ha" -v hb="$hb" 'BEGIN {
        printf "A on host %d: %.1f ms   B on host %d: %.1f ms   B/A %.2f\n", ha, a / 1e6, hb, b / 1e6, b / a
    }'
done
