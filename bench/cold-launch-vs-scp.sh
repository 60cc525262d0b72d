#!/usr/bin/env bash
# Cold launch: a one-line task on 8 fresh nodes (no agent installed, no ssh master) against a
# parallel `scp` of the agent binary plus one `ssh` per node that runs it. Median of N (default 5).
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
nodes=8
pool cold "$nodes"
printf 'num_nodes: %s\nrun: "true"\n' "$nodes" > "$SWIFTLET_HOME/task.yaml"
wipe() {  # forget agents and masters on every host
    for i in $(seq 1 "$nodes"); do rm -rf "$bed/h$i/root/.swiftlet" "$bed/h$i/root/swiftlet-agent"; done
    rm -rf "$SWIFTLET_HOME/ssh" "$SWIFTLET_HOME/keep" "$SWIFTLET_HOME/clusters"
    pkill -f "swiftlet keeper" 2>/dev/null || true
    pkill -f "ControlPath=$SWIFTLET_HOME" 2>/dev/null || true
}
baseline() {
    for i in $(seq 1 "$nodes"); do
        ( scp -q -F "$bed/ssh_config" "$bin/swiftlet-agent" "swl-h$i:swiftlet-agent" && ssh -F "$bed/ssh_config" "swl-h$i" ./swiftlet-agent --help >/dev/null ) &
    done
    wait
}
swiftlet_times=(); base_times=()
for r in $(seq "$runs"); do
    wipe; start=$(now); "$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c "cold$r" --infra ssh/cold >/dev/null 2>&1; swiftlet_times+=($(( $(now) - start )))
    wipe; start=$(now); baseline; base_times+=($(( $(now) - start )))
done
wipe
s=$(median "${swiftlet_times[@]}"); b=$(median "${base_times[@]}")
size=$(stat -c %s "$bin/swiftlet-agent")
awk -v s="$s" -v b="$b" -v n="$runs" -v k="$nodes" -v m="$size" 'BEGIN {
    printf "swiftlet launch on %d fresh nodes (%.0f MB agent): median %.0f ms over %d runs\n", k, m / 1048576, s / 1e6, n
    printf "parallel scp + ssh to %d hosts: median %.0f ms over %d runs\n", k, b / 1e6, n
    printf "ratio swiftlet/scp+ssh: %.2fx (target <= 1.5x)\n", s / b
}'
