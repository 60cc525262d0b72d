#!/usr/bin/env bash
# Round trip of `swiftlet exec CLUSTER -- true` on a warm 1-node SSH cluster against a bare
# `ssh host true` through a warm ControlMaster, run side by side: median of N each (default 20).
# Needs root (the test bed). Measures the shipped build: packaging/build-release.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
bin=packaging/out
packaging/build-release.sh >/dev/null
scripts/testbed.sh up 1 >/dev/null
bed=${SWIFTLET_TESTBED:-/tmp/swiftlet-testbed}
export SWIFTLET_HOME
SWIFTLET_HOME=$(mktemp -d /tmp/swiftlet-bench.XXXXXX)
trap 'ssh -F "$bed/ssh_config" -o ControlPath="$SWIFTLET_HOME/base-%C" -O exit swl-h1 2>/dev/null || true; rm -rf "$SWIFTLET_HOME"' EXIT
cp "$bed/ssh_node_pools.yaml" "$SWIFTLET_HOME/"
printf 'run: "true"\n' > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c bench --infra ssh/testbed >/dev/null 2>&1

base=(ssh -F "$bed/ssh_config" -o ControlMaster=auto -o ControlPath="$SWIFTLET_HOME/base-%C" -o ControlPersist=60 swl-h1 true)
"${base[@]}"   # warm the baseline's master

now() { date +%s%N; }
swiftlet_times=()
ssh_times=()
for _ in $(seq "$runs"); do
    start=$(now); "$bin/swiftlet" exec bench -- true >/dev/null; swiftlet_times+=($(( $(now) - start )))
    start=$(now); "${base[@]}"; ssh_times+=($(( $(now) - start )))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
s=$(median "${swiftlet_times[@]}")
b=$(median "${ssh_times[@]}")
awk -v s="$s" -v b="$b" -v n="$runs" 'BEGIN {
    printf "swiftlet exec (warm cluster): median %.1f ms over %d runs\n", s / 1e6, n
    printf "ssh host true (warm master):  median %.1f ms over %d runs\n", b / 1e6, n
    printf "ratio swiftlet/ssh: %.2fx (target <= 1.5x)\n", s / b
}'
