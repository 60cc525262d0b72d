# Shared by the A/B benchmarks (bench/ab-*.sh DIR_A DIR_B [RUNS]): two builds, each directory as
# packaging/build-release.sh DIR writes it, each on its own one-node cluster `$cluster` in its
# own SWIFTLET_HOME under $work (so neither replaces the other's daemon). The caller sets
# `cluster` and `default_runs` first.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); runs=${3:-$default_runs}
bed=${SWIFTLET_TESTBED:-/tmp/swiftlet-testbed}
scripts/testbed.sh up 2 >/dev/null
work=$(mktemp -d /tmp/swiftlet-bench.XXXXXX)
cleanup() {
    for home in "$work"/*/; do
        [ -f "$home/dir" ] && SWIFTLET_HOME=$home "$(cat "$home/dir")/swiftlet" down "$cluster" >/dev/null 2>&1 || true
    done
    # A baseline's ssh master, if the benchmark kept one.
    ssh -F "$bed/ssh_config" -o ControlPath="$work/base-%C" -O exit swl-h1 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# home NAME DIR HOST: cluster `$cluster` of one node, test-bed host HOST, run by the build in DIR.
home() {
    local home="$work/$1"
    mkdir -p "$home"
    echo "$2" > "$home/dir"
    printf '%s:\n  user: root\n  identity_file: %s\n  hosts:\n    - 10.213.0.%d\n' "$cluster" "$bed/client_key" $((10 + $3)) > "$home/ssh_node_pools.yaml"
    printf 'run: "true"\n' > "$home/task.yaml"
    SWIFTLET_HOME=$home SWIFTLET_AGENT_BINARY=$2/swiftlet-agent "$2/swiftlet" launch "$home/task.yaml" -c "$cluster" --infra "ssh/$cluster" >"$home/launch.log" 2>&1 ||
        { cat "$home/launch.log" >&2; exit 1; }
}
