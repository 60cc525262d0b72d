#!/usr/bin/env bash
# A/B of two builds on the streaming benchmark: `swiftlet exec ... seq 1000000 | wc -l`,
# build A on test-bed host 1 and build B on host 2 (each with its own SWIFTLET_HOME, so neither
# replaces the other's daemon), interleaved with `ssh host seq` as the common yardstick; then the
# same with the hosts swapped. Single figures on a shared 2-core machine drift by a third over a
# day; only interleaved comparisons like this one tell builds apart.
#   bench/ab-stream.sh DIR_A DIR_B [RUNS]   (each DIR holds swiftlet and swiftlet-agent, as
#                                            packaging/build-release.sh DIR writes them)
cluster=logs default_runs=15
source "$(dirname "$0")/ab-lib.sh"

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
