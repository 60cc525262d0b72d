#!/usr/bin/env bash
# 100 jobs submitted back to back (`swiftlet exec -d`) to one warm SSH node: time per
# submission, then checks with `swiftlet queue` that every job ran and succeeded.
source "$(dirname "$0")/lib.sh"
jobs=${1:-100}
pool one 1
printf 'run: "true"\n' > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c q --infra ssh/one >/dev/null 2>&1
start=$(now)
for i in $(seq "$jobs"); do "$bin/swiftlet" exec q -d -- "echo job $i" >/dev/null 2>&1; done
elapsed=$(( $(now) - start ))
for _ in $(seq 100); do
    running=$("$bin/swiftlet" queue q -a | grep -c RUNNING || true)
    [ "$running" -eq 0 ] && break
    sleep 0.1
done
succeeded=$("$bin/swiftlet" queue q -a | grep -c SUCCEEDED || true)
awk -v e="$elapsed" -v n="$jobs" -v s="$succeeded" 'BEGIN {
    printf "%d jobs submitted in %.0f ms: %.1f ms per job (SkyPilot reports 2-5 s per job)\n", n, e / 1e6, e / 1e6 / n
    printf "%d of %d jobs (plus the launch) SUCCEEDED\n", s - 1, n
}'
