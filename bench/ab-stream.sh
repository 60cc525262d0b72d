#!/usr/bin/env bash
# A/B of two builds on the streaming benchmark: `swiftlet exec ... seq 1000000 | wc -l`,
# build A on test-bed host 1 and build B on host 2 (each with its own SWIFTLET_HOME, so neither
# replaces the other's daemon), interleaved with `ssh host seq` as the common yardstick; then the
# same with the hosts swapped. Single figures on a shared 2-core machine drift by a third over a
# day; only interleaved comparisons like this one tell builds apart.
#   bench/ab-stream.sh DIR_A DIR_B [RUNS]   (each DIR holds swiftlet and swiftlet-agent, as
#                                            packaging/build-release.sh DIR writes them)
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); runs=${3:-15}
bed=${SWIFTLET_TESTBED:-/tmp/swiftlet-testbed}
scripts/testbed.sh up 2 >/dev/null
work=$(mktemp -d /tmp/swiftlet-bench.XXXXXX)
cleanup() {
    for home in "$work"/*/; do
        [ -f "$home/dir" ] && SWIFTLET_HOME=$home "$(cat "$home/dir")/swiftlet" down logs >/dev/null 2>&1 || true
    done
    ssh -F "$bed/ssh_config" -o ControlPath="$work/base-%C" -O exit swl-h1 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# home NAME DIR HOST: a cluster `logs` of one node, test-bed host HOST, run by the build in DIR.
home() {
    local home="$work/$1"
    mkdir -p "$home"
    echo "$2" > "$home/dir"
    printf 'logs:\n  user: root\n  identity_file: %s\n  hosts:\n    - 10.213.0.%d\n' "$bed/client_key" $((10 + $3)) > "$home/ssh_node_pools.yaml"
    printf 'run: "true"\n' > "$home/task.yaml"
    SWIFTLET_HOME=$home SWIFTLET_AGENT_BINARY=$2/swiftlet-agent "$2/swiftlet" launch "$home/task.yaml" -c logs --infra ssh/logs >"$home/launch.log" 2>&1 ||
        { cat "$home/launch.log" >&2; exit 1; }
}

# stream HOME: milliseconds of one run, after checking that no line was lost.
stream() {
    local dir start got
    dir=$(cat "$1/dir")
    start=$(now)
    got=$(SWIFTLET_HOME=$1 SWIFTLET_AGENT_BINARY=$dir/swiftlet-agent "$dir/swiftlet" exec logs -- seq 1000000 | wc -l)
    [ "$got" -eq 1000000 ] || { echo "$dir delivered $got of 1000000 lines" >&2; exit 1; }
    echo $(( ($(now) - start) / 1000000 ))
}

base=(ssh -F "$bed/ssh_config" -o ControlMaster=auto -o ControlPath="$work/base-%C" -o ControlPersist=600 swl-h1)
"${base[@]}" true
for round in 1 2; do
    if [ $round = 1 ]; then host_a=1; host_b=2; else host_a=2; host_b=1; fi
    home "a$round" "$a" $host_a
    home "b$round" "$b" $host_b
    times_a=(); times_b=(); times_ssh=()
    for _ in $(seq "$runs"); do
        sleep 0.6; times_a+=("$(stream "$work/a$round")")
        sleep 0.6; times_b+=("$(stream "$work/b$round")")
        sleep 0.6; start=$(now); "${base[@]}" seq 1000000 | wc -l >/dev/null; times_ssh+=($(( ($(now) - start) / 1000000 )))
    done
    echo "A on host $host_a: $(median "${times_a[@]}") ms   B on host $host_b: $(median "${times_b[@]}") ms   ssh: $(median "${times_ssh[@]}") ms (medians of $runs)"
done
