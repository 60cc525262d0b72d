# Shared by the benchmarks: the test bed, a private SWIFTLET_HOME, timing and medians.
set -euo pipefail
cd "$(dirname "$0")/.."
# SWIFTLET_BENCH_BUILD=DIR measures a build already made there (packaging/build-release.sh DIR),
# to compare two builds with the same benchmark; by default this tree is built into packaging/out.
bin=${SWIFTLET_BENCH_BUILD:-packaging/out}
bed=${SWIFTLET_TESTBED:-/tmp/swiftlet-testbed}
[ -n "${SWIFTLET_BENCH_BUILD:-}" ] || packaging/build-release.sh >/dev/null
bin=$(cd "$bin" && pwd)
# SWIFTLET_SSH_CONFIG=none: no Include line in this machine's ~/.ssh/config for a home that goes
# (a benchmark that uses it names its own).
export SWIFTLET_HOME SWIFTLET_AGENT_BINARY="$bin/swiftlet-agent" SWIFTLET_SSH_CONFIG=none
SWIFTLET_HOME=$(mktemp -d /tmp/swiftlet-bench.XXXXXX)
cleanup() {
    for sock in "$SWIFTLET_HOME"/base-* "$SWIFTLET_HOME"/aes-*; do
        [ -S "$sock" ] && ssh -o ControlPath="$sock" -O exit dummy 2>/dev/null || true
    done
    "$bin/swiftlet" status --json 2>/dev/null | grep -o '"name" : "[^"]*"' | cut -d'"' -f4 | while read -r c; do "$bin/swiftlet" down "$c" >/dev/null 2>&1 || true; done
    rm -rf "$SWIFTLET_HOME"
}
trap cleanup EXIT

# pool NAME N: a node pool of test-bed hosts 1..N
pool() {
    scripts/testbed.sh up "$2" >/dev/null
    { echo "$1:"; echo "  user: root"; echo "  identity_file: $bed/client_key"; echo "  hosts:"
      for i in $(seq 1 "$2"); do echo "    - 10.213.0.$((10 + i))"; done; } > "$SWIFTLET_HOME/ssh_node_pools.yaml"
}

now() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
