#!/usr/bin/env bash
# Port forwarding throughput: a 256 MiB download from an HTTP server bound to 127.0.0.1 inside
# test-bed host 1, through `swiftlet forward` against through `ssh -L` (a warm ControlMaster),
# side by side, median of N each (default 5). Needs root (the test bed).
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
pool fwd 1
size=$((256 * 1024 * 1024))
printf 'run: |\n  mkdir -p ~/bench-fwd && cd ~/bench-fwd\n  head -c %d /dev/zero > blob\n  exec python3 -m http.server 28080 --bind 127.0.0.1\n' "$size" > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c fwd --infra ssh/fwd -d >/dev/null 2>&1
"$bin/swiftlet" forward fwd 38080:28080 2>/dev/null &
forwarder=$!
ssh_base=(-F "$bed/ssh_config" -o ControlMaster=auto -o ControlPath="$SWIFTLET_HOME/base-%C" -o ControlPersist=60)
ssh "${ssh_base[@]}" -N -L 38081:127.0.0.1:28080 swl-h1 &
tunnel=$!
trap 'kill $forwarder $tunnel 2>/dev/null; cleanup' EXIT
for port in 38080 38081; do
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
swiftlet_times=(); ssh_times=()
for _ in $(seq "$runs"); do
    start=$(now); curl -s -o /dev/null "http://127.0.0.1:38080/blob"; swiftlet_times+=($(( $(now) - start )))
    start=$(now); curl -s -o /dev/null "http://127.0.0.1:38081/blob"; ssh_times+=($(( $(now) - start )))
done
s=$(median "${swiftlet_times[@]}"); b=$(median "${ssh_times[@]}")
awk -v s="$s" -v b="$b" -v n="$runs" -v size="$size" 'BEGIN {
    printf "swiftlet forward: median %.0f MB/s over %d downloads of %d MiB\n", size / (s / 1e9) / 1e6, n, size / 1048576
    printf "ssh -L:           median %.0f MB/s over %d downloads\n", size / (b / 1e9) / 1e6, n
    printf "ratio swiftlet/ssh throughput: %.2fx (target >= 0.8x)\n", b / s
}'
