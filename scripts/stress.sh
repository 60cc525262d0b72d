#!/usr/bin/env bash
# A bounded stress check of one node: two controller homes submit jobs to the same node (one
# local node directory both homes' clusters point at) while its controllers, relays and daemon
# are killed at random and its disk (a small tmpfs, where root) fills and empties. Afterwards
# every job must have a final state, every log must be whole (or, where the disk cut it, a
# prefix that its record says was cut), and no job or supervisor process may be left.
#   scripts/stress.sh [SECONDS]     (default 40; uses the debug build in .build/debug)
# STRESS_KEEP=DIR copies the node's daemon log and job files there before cleaning up.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-40}
bin=$PWD/.build/debug
work=$(mktemp -d "${TMPDIR:-/tmp}/swiftlet-stress.XXXXXX")
node=$work/node
mounted=false
lines=40
failures=0
fail() { echo "stress: FAIL: $*" >&2; failures=$((failures + 1)); }

cleanup() {
    local pid
    for pid in $(pgrep -f "$work/" || true); do kill -KILL "$pid" 2>/dev/null || true; done
    if [ -n "${STRESS_KEEP:-}" ]; then cp -r "$node/.swiftlet/run" "$STRESS_KEEP/" 2>/dev/null; cp -r "$node/.swiftlet/jobs" "$STRESS_KEEP/" 2>/dev/null; fi
    if $mounted; then umount -l "$node" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Two homes, one node: each home's cluster `stress` has its local node in the same directory.
mkdir -p "$node"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=96m swiftlet-stress "$node"; then mounted=true; fi
for side in a b; do
    mkdir -p "$work/$side/local/stress"
    ln -s "$node" "$work/$side/local/stress/node0"
done
printf 'run: for i in $(seq 1 %d); do echo "stress-line $i"; sleep 0.02; done\n' "$lines" > "$work/task.yaml"
# SWIFTLET_SSH_CONFIG=none: no Include line in this machine's ~/.ssh/config for a home that goes.
swiftlet() { SWIFTLET_HOME=$work/$1 SWIFTLET_AGENT_BINARY=$bin/swiftlet-agent SWIFTLET_KEEPALIVE=0 SWIFTLET_SSH_CONFIG=none "$bin/swiftlet" "${@:2}"; }

submit() {
    local side=$1 deadline=$2
    while [ "$(date +%s)" -lt "$deadline" ]; do
        # The last failure is kept: a run where nothing was submitted says why.
        swiftlet "$side" launch -d "$work/task.yaml" -c stress >/dev/null 2>"$work/$side.err" \
            || cp "$work/$side.err" "$work/$side.last-error" || true
    done
}

# kills: the controllers, the relays and the daemon, at random; the disk fills now and then.
havoc() {
    local deadline=$1 victim pid
    while [ "$(date +%s)" -lt "$deadline" ]; do
        sleep "0.$((RANDOM % 8 + 2))"
        case $((RANDOM % 4)) in
            0) victim="$bin/swiftlet launch" ;;
            1) victim="$work/.*swiftlet-agent serve" ;;
            2) victim="$work/.*swiftlet-agent daemon" ;;
            3)
                if $mounted; then
                    head -c 200000000 /dev/zero > "$node/filler" 2>/dev/null || true
                    sleep 1
                    rm -f "$node/filler"
                fi
                continue
                ;;
        esac
        pid=$(pgrep -f "$victim" | shuf -n 1 || true)
        [ -z "$pid" ] || { kill -KILL "$pid" 2>/dev/null && echo "$victim" >> "$work/kills"; } || true
    done
}

deadline=$(($(date +%s) + seconds))
submit a "$deadline" &
submit b "$deadline" &
havoc "$deadline" &
wait
rm -f "$node/filler"

# Every job ends: a command starts a daemon, which settles what no one was left to record.
jobs=$node/.swiftlet/jobs/stress
final='^state=(SUCCEEDED|FAILED|FAILED_SETUP|FAILED_DRIVER|CANCELLED)$'
settle=$(($(date +%s) + 90))
while :; do
    swiftlet a queue stress -a >/dev/null 2>&1 || true
    open=0
    for record in "$jobs"/*/job; do
        [ -e "$record" ] || continue
        grep -Eq "$final" "$record" || open=$((open + 1))
    done
    [ "$open" -eq 0 ] && break
    [ "$(date +%s)" -lt "$settle" ] || { fail "$open jobs never reached a final state"; break; }
    sleep 1
done

# Every log is whole, or a prefix its record says the disk cut.
seq 1 "$lines" | sed 's/^/stress-line /' > "$work/expected"
count=0 succeeded=0
for record in "$jobs"/*/job; do
    [ -e "$record" ] || continue
    count=$((count + 1))
    directory=$(dirname "$record")
    log=$directory/run.log
    [ -e "$log" ] || continue
    state=$(sed -n 's/^state=//p' "$record")
    if ! head -c "$(stat -c %s "$log")" "$work/expected" | cmp -s - "$log"; then
        fail "$log is not a prefix of the job's output ($state): $(diff "$work/expected" "$log" | head -c 400) / $(tr '\n' ' ' < "$record")"
    elif [ "$state" = SUCCEEDED ] && ! grep -q '^log_cut=' "$record"; then
        cmp -s "$work/expected" "$log" || fail "$log of a job that SUCCEEDED is not whole: $(tr '\n' ' ' < "$record") / $(ls -la --time-style=+%T.%N "$directory" | tr '\n' ' ') / $(wc -l < "$log") lines"
        succeeded=$((succeeded + 1))
    fi
done
[ "$count" -gt 0 ] || fail "no job was submitted; the last failed launches said: $(cat "$work"/*.last-error 2>/dev/null | tail -n 6)"

# Nothing of a job is left running.
sleep 1
left=$(pgrep -fc "supervise-job.*$work|stress-line" || true)
[ "$left" -eq 0 ] || fail "$left job processes are left: $(pgrep -fa "supervise-job.*$work|stress-line" | head -3)"

kills=$(sort "$work/kills" 2>/dev/null | uniq -c | awk '{printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $NF}')
echo "stress: $count jobs from two homes in ${seconds}s of kills ($kills)$($mounted && echo ' and a filling disk'); $succeeded whole and SUCCEEDED; $failures failures"
[ "$failures" -eq 0 ]
