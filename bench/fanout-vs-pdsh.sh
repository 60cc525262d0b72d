#!/usr/bin/env bash
# Fan-out: `swiftlet exec` of `true` on a warm 8-node cluster against `pdsh -R ssh` running
# `true` on the same 8 hosts through a warm ControlMaster per host. Median of N each (default 20).
source "$(dirname "$0")/lib.sh"
runs=${1:-20}
nodes=8
pool fan "$nodes"
printf 'num_nodes: %s\nrun: "true"\n' "$nodes" > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c fan --infra ssh/fan >/dev/null 2>&1
export PDSH_RCMD_TYPE=ssh
export PDSH_SSH_ARGS_APPEND="-F $bed/ssh_config -o ControlMaster=auto -o ControlPath=$SWIFTLET_HOME/base-%C -o ControlPersist=60"
hosts="swl-h[1-$nodes]"
pdsh -w "$hosts" true   # warm the masters
swiftlet_times=(); pdsh_times=()
for _ in $(seq "$runs"); do
    start=$(now); "$bin/swiftlet" exec fan -- true >/dev/null; swiftlet_times+=($(( $(now) - start )))
    start=$(now); pdsh -w "$hosts" true; pdsh_times+=($(( $(now) - start )))
done
s=$(median "${swiftlet_times[@]}"); p=$(median "${pdsh_times[@]}")
awk -v s="$s" -v p="$p" -v n="$runs" -v k="$nodes" 'BEGIN {
    printf "swiftlet exec on %d nodes (warm): median %.1f ms over %d runs\n", k, s / 1e6, n
    printf "pdsh -R ssh on %d hosts (warm masters): median %.1f ms over %d runs\n", k, p / 1e6, n
    printf "ratio swiftlet/pdsh: %.2fx (target <= 1.0x)\n", s / p
}'
