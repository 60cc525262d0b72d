#!/usr/bin/env bash
# `ssh CLUSTER true` through `swiftlet proxy` (no sshd used on the node) against `ssh HOST true`
# straight to the same test-bed host's sshd, interleaved, median of N each (default 20):
#   fresh: a new ssh client each time (a new SSH handshake; the proxy's agent connection warm);
#   warm:  both through an ssh ControlMaster (a new channel on a kept SSH connection).
# Needs root (the test bed).
source "$(dirname "$0")/lib.sh"
runs=${1:-20}
pool sp 1
export SWIFTLET_SSH_CONFIG="$SWIFTLET_HOME/user-ssh-config"
printf 'run: echo up\n' > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c sp --infra ssh/sp >/dev/null 2>&1
proxied=(-F "$SWIFTLET_SSH_CONFIG")
direct=(-F "$bed/ssh_config")
master=(-o ControlMaster=auto -o ControlPersist=60)
trap 'ssh "${proxied[@]}" -o ControlPath="$SWIFTLET_HOME/cm-proxy" -O exit sp 2>/dev/null; ssh "${direct[@]}" -o ControlPath="$SWIFTLET_HOME/cm-direct" -O exit swl-h1 2>/dev/null; cleanup' EXIT
ssh "${proxied[@]}" true sp >/dev/null 2>&1 || true
for mode in fresh warm; do
    p=(); d=()
    extra_p=(); extra_d=()
    if [ "$mode" = warm ]; then
        extra_p=("${master[@]}" -o ControlPath="$SWIFTLET_HOME/cm-proxy")
        extra_d=("${master[@]}" -o ControlPath="$SWIFTLET_HOME/cm-direct")
        ssh "${proxied[@]}" "${extra_p[@]}" sp true; ssh "${direct[@]}" "${extra_d[@]}" swl-h1 true
    fi
    for _ in $(seq "$runs"); do
        start=$(now); ssh "${proxied[@]}" "${extra_p[@]}" sp true; p+=($(( $(now) - start )))
        start=$(now); ssh "${direct[@]}" "${extra_d[@]}" swl-h1 true; d+=($(( $(now) - start )))
    done
    a=$(median "${p[@]}"); b=$(median "${d[@]}")
    awk -v a="$a" -v b="$b" -v m="$mode" -v n="$runs" 'BEGIN {
        printf "%-5s ssh CLUSTER true (proxy): median %.1f ms; ssh HOST true (sshd): %.1f ms; ratio %.2fx (target <= 1.5x; %d runs)\n", m, a / 1e6, b / 1e6, a / b, n
    }'
done
