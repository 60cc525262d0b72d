#!/usr/bin/env bash
# A/B of two builds on the exec round trip: `swiftlet exec bench -- true` on a warm 1-node
# cluster, build A on test-bed host 1 and build B on host 2 (each with its own SWIFTLET_HOME),
# interleaved; then the same with the hosts swapped. Medians of RUNS each.
#   bench/ab-exec.sh DIR_A DIR_B [RUNS]   (each DIR as packaging/build-release.sh DIR writes it)
cluster=bench default_runs=30
source "$(dirname "$0")/ab-lib.sh"

# exec_ns HOME: nanoseconds of one round trip.
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
