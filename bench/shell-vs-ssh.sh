#!/usr/bin/env bash
# Keystroke echo round trip in `swiftlet shell` against `ssh -tt` to the same test-bed host
# (warm ControlMaster), both at a bash prompt: median of N keystrokes each (default 100), three
# rounds interleaved. Needs root (the test bed) and python3.
source "$(dirname "$0")/lib.sh"
runs=${1:-100}
pool echo 1
printf 'run: "true"\n' > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c echo --infra ssh/echo >/dev/null 2>&1
ssh_base=(ssh -F "$bed/ssh_config" -o ControlMaster=auto -o ControlPath="$SWIFTLET_HOME/base-%C" -o ControlPersist=60)
"${ssh_base[@]}" swl-h1 true
s=(); b=()
for _ in 1 2 3; do
    s+=("$(python3 bench/echo-latency.py "$runs" -- "$bin/swiftlet" shell echo)")
    b+=("$(python3 bench/echo-latency.py "$runs" -- "${ssh_base[@]}" -tt swl-h1)")
done
printf '%s\n' "${s[@]}" | sort -n | sed -n 2p > "$SWIFTLET_HOME/s"
printf '%s\n' "${b[@]}" | sort -n | sed -n 2p > "$SWIFTLET_HOME/b"
awk -v s="$(cat "$SWIFTLET_HOME/s")" -v b="$(cat "$SWIFTLET_HOME/b")" -v r="${s[*]}" -v q="${b[*]}" 'BEGIN {
    printf "swiftlet shell: keystroke echo median %.2f ms (rounds: %s)\n", s, r
    printf "ssh -tt:        keystroke echo median %.2f ms (rounds: %s)\n", b, q
    printf "ratio swiftlet/ssh: %.2fx (target <= 1.2x)\n", s / b
}'
