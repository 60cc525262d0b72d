#!/usr/bin/env bash
# Resident memory of the node daemon (the shipped static agent that owns jobs): idle with a controller
# connected, and while it streams a fast log (`seq 3000000`). Target: under 20 MB idle.
source "$(dirname "$0")/lib.sh"
pool mem 1
printf 'run: "true"\n' > "$SWIFTLET_HOME/task.yaml"
"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c mem --infra ssh/mem >/dev/null 2>&1
daemon=$("$bin/swiftlet" exec mem -- 'echo $PPID' 2>/dev/null | awk '{print $NF}')
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle=$(rss "$daemon")
peak=0
"$bin/swiftlet" exec mem -- seq 3000000 >/dev/null 2>&1 &
streaming=$!
while kill -0 "$streaming" 2>/dev/null; do
    now_rss=$(rss "$daemon" 2>/dev/null || echo 0)
    [ "${now_rss:-0}" -gt "$peak" ] && peak=$now_rss
    sleep 0.01
done
echo "daemon RSS idle (connected, no job): $((idle / 1024)).$(( (idle % 1024) * 10 / 1024 )) MB (target < 20 MB)"
echo "daemon RSS peak while streaming 3,000,000 lines: $((peak / 1024)).$(( (peak % 1024) * 10 / 1024 )) MB"
