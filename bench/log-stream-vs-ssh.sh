#!/usr/bin/env bash
# Log streaming: one rank printing 1,000,000 short lines through `swiftlet exec` against
# `ssh host seq 1000000` through a warm master, interleaved, each after the same pause (the
# keeper opens its next spare lane while quiet: never during the ssh run). Checks that no line
# is lost. Median of N each (default 15: single runs vary by 20% or more on a 2-core machine).
# For context, a third side: ssh asked for the cipher order Swiftlet's transport uses on a CPU
# with AES instructions (AES-GCM first; ssh's default is ChaCha20-Poly1305).
source "$(dirname "$0")/lib.sh"
runs=${1:-15}
lines=1000000
pool logs 1
printf 'run: "true"\n' > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c logs --infra ssh/logs >/dev/null 2>&1
base=(ssh -F "$bed/ssh_config" -o ControlMaster=auto -o ControlPath="$SWIFTLET_HOME/base-%C" -o ControlPersist=60 swl-h1)
"${base[@]}" true
aes=(ssh -F "$bed/ssh_config" -o Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com
     -o ControlMaster=auto -o ControlPath="$SWIFTLET_HOME/aes-%C" -o ControlPersist=60 swl-h1)
"${aes[@]}" true
swiftlet_times=(); ssh_times=(); aes_times=()
for _ in $(seq "$runs"); do
    sleep 0.6
    start=$(now); got=$("$bin/swiftlet" exec logs -- seq $lines | wc -l); swiftlet_times+=($(( $(now) - start )))
    [ "$got" -eq "$lines" ] || { echo "swiftlet delivered $got of $lines lines" >&2; exit 1; }
    sleep 0.6
    start=$(now); got=$("${base[@]}" seq $lines | wc -l); ssh_times+=($(( $(now) - start )))
    [ "$got" -eq "$lines" ] || { echo "ssh delivered $got of $lines lines" >&2; exit 1; }
    sleep 0.6
    start=$(now); got=$("${aes[@]}" seq $lines | wc -l); aes_times+=($(( $(now) - start )))
    [ "$got" -eq "$lines" ] || { echo "ssh (AES-GCM) delivered $got of $lines lines" >&2; exit 1; }
done
s=$(median "${swiftlet_times[@]}"); b=$(median "${ssh_times[@]}"); a=$(median "${aes_times[@]}")
awk -v s="$s" -v b="$b" -v a="$a" -v n="$runs" -v l="$lines" 'BEGIN {
    printf "swiftlet exec seq %d: median %.0f ms, %.0f lines/s (all lines, prefixed)\n", l, s / 1e6, l / (s / 1e9)
    printf "ssh host seq %d: median %.0f ms, %.0f lines/s\n", l, b / 1e6, l / (b / 1e9)
    printf "ssh -o Ciphers=aes128-gcm... host seq %d: median %.0f ms (context: the cipher order swiftlet asks for)\n", l, a / 1e6
    printf "throughput ratio swiftlet/ssh-with-aes-gcm: %.2fx\n", a / s
    printf "throughput ratio swiftlet/ssh: %.2fx (target >= 0.8x)\n", b / s
}'
