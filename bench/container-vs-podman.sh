#!/usr/bin/env bash
# Containers on the local infra against podman itself, side by side, median of N each (default 10):
#  - launch: `swiftlet launch` of a one-line task on a cached image (a new cluster each time:
#    container, agent, job) against `podman run -d` plus `podman exec` of the same line;
#  - warm exec: `swiftlet exec` into the running container against `podman exec`.
# Needs root and podman: brings up scripts/container-testbed.sh for its image (and its
# containers.conf). Measures the shipped build: packaging/build-release.sh.
source "$(dirname "$0")/lib.sh"
runs=${1:-10}
image=localhost/swiftlet-test/busybox:1
scripts/container-testbed.sh up >/dev/null
export SWIFTLET_CONTAINER_RUNTIME=podman
printf 'resources:\n  image_id: docker:%s\nrun: echo hi\n' "$image" > "$SWIFTLET_HOME/task.yaml"
baseline=swiftlet-bench-baseline

launch_times=()
podman_times=()
for i in $(seq "$runs"); do
    start=$(now); "$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c "bench$i" >/dev/null 2>&1; launch_times+=($(( $(now) - start )))
    "$bin/swiftlet" down "bench$i" >/dev/null 2>&1
    start=$(now)
    podman run -d -i --init --network host --name "$baseline" --entrypoint /bin/sh "$image" >/dev/null
    podman exec "$baseline" /bin/sh -c 'echo hi' >/dev/null
    podman_times+=($(( $(now) - start )))
    podman rm -f -t 0 "$baseline" >/dev/null
done

"$bin/swiftlet" launch "$SWIFTLET_HOME/task.yaml" -c warm >/dev/null 2>&1
podman run -d -i --init --network host --name "$baseline" --entrypoint /bin/sh "$image" >/dev/null
trap 'podman rm -f -t 0 "$baseline" >/dev/null 2>&1; cleanup' EXIT
exec_times=()
podman_exec_times=()
for _ in $(seq "$((runs * 2))"); do
    start=$(now); "$bin/swiftlet" exec warm -- 'echo hi' >/dev/null; exec_times+=($(( $(now) - start )))
    start=$(now); podman exec "$baseline" /bin/sh -c 'echo hi' >/dev/null; podman_exec_times+=($(( $(now) - start )))
done

l=$(median "${launch_times[@]}"); p=$(median "${podman_times[@]}")
e=$(median "${exec_times[@]}"); x=$(median "${podman_exec_times[@]}")
awk -v l="$l" -v p="$p" -v e="$e" -v x="$x" -v n="$runs" 'BEGIN {
    printf "swiftlet launch (cached image):   median %.0f ms over %d runs\n", l / 1e6, n
    printf "podman run -d + podman exec:      median %.0f ms over %d runs\n", p / 1e6, n
    printf "ratio launch/podman: %.2fx (target <= 1.3x)\n", l / p
    printf "swiftlet exec (warm container):   median %.1f ms over %d runs\n", e / 1e6, n * 2
    printf "podman exec:                      median %.1f ms over %d runs\n", x / 1e6, n * 2
    printf "ratio exec/podman exec: %.2fx (target < 1x)\n", e / x
}'
