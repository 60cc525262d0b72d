#!/usr/bin/env bash
# Containers for the tests: rootful podman with runc, the real distribution registry with TLS
# and passwords, podman's Docker-compatible API for the docker CLI, and test images built from
# Debian's busybox-static (no Debian userland, no Python, no bash).
#
#   scripts/container-testbed.sh up      start (idempotent) and write $state/env
#   scripts/container-testbed.sh down    stop the registry and the API service by PID, remove
#                                        test containers, images and the state
#
# Needs root, podman, runc, docker-registry, apache2-utils, openssl, busybox-static.
# State lives in $SWIFTLET_CONTAINER_TESTBED (default /tmp/swiftlet-containers). Its `env` file
# holds what the tests read: the registry, its user and password, the images and the API socket.
#
# podman needs settings that suit these machines (runc, cgroupfs, a file event log, ulimits the
# sandbox allows). They go where an administrator puts them, /etc/containers/containers.conf,
# so that podman run on a test bed host through ssh reads them too; a file this script did not
# write is left alone (and its settings used).
set -euo pipefail

state=${SWIFTLET_CONTAINER_TESTBED:-/tmp/swiftlet-containers}
registry=127.0.0.1:5000
conf=/etc/containers/containers.conf
marker="# written by swiftlet's scripts/container-testbed.sh"

die() { echo "container-testbed: $*" >&2; exit 1; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {
    for _ in $(seq 1 100); do
        if eval "$1" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    die "$2"
}

containers_conf() {
    if [ ! -f "$conf" ] || grep -qF "$marker" "$conf"; then
        mkdir -p /etc/containers
        cat > "$conf" <<EOF
$marker
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    fi
}

certificate() {
    [ -f "$state/registry.crt" ] && return
    openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$state/registry.key" -out "$state/registry.crt" 2>/dev/null
    mkdir -p "/etc/containers/certs.d/$registry"
    cp "$state/registry.crt" "/etc/containers/certs.d/$registry/ca.crt"
}

start_registry() {
    running "$state/registry.pid" && return
    [ -f "$state/password" ] || head -c 18 /dev/urandom | base64 | tr '+/' 'xy' > "$state/password"
    htpasswd -Bbn swiftlet "$(cat "$state/password")" > "$state/htpasswd" 2>/dev/null
    cat > "$state/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry-data
http:
  addr: $registry
  tls:
    certificate: $state/registry.crt
    key: $state/registry.key
auth:
  htpasswd:
    realm: swiftlet-test
    path: $state/htpasswd
EOF
    docker-registry serve "$state/registry.yml" > "$state/registry.log" 2>&1 &
    echo $! > "$state/registry.pid"
    wait_for "curl -sk -o /dev/null https://$registry/v2/" "the registry did not start: $(tail -n 5 "$state/registry.log")"
}

start_api_service() {
    running "$state/podman-api.pid" && return
    rm -f "$state/podman.sock"
    podman system service --time=0 "unix://$state/podman.sock" > "$state/podman-api.log" 2>&1 &
    echo $! > "$state/podman-api.pid"
    wait_for "[ -S '$state/podman.sock' ]" "podman's API service did not start: $(tail -n 5 "$state/podman-api.log")"
}

# An image from a busybox root with `marker` as /image-marker and the given Dockerfile changes.
image() {
    local name=$1 marker_text=$2
    shift 2
    local root
    root=$(mktemp -d "$state/root.XXXXXX")
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for tool in $(/bin/busybox --list); do [ "$tool" = busybox ] || ln -s busybox "$root/bin/$tool"; done
    echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
    echo "root:x:0:" > "$root/etc/group"
    echo "$marker_text" > "$root/image-marker"
    local changes=()
    for change in "$@"; do changes+=(--change "$change"); done
    tar -C "$root" -c . | podman import -q "${changes[@]}" - "localhost/swiftlet-test/$name:1" >/dev/null
    rm -rf "$root"
}

images() {
    podman image exists localhost/swiftlet-test/busybox:1 || image busybox "busybox image"
    podman image exists localhost/swiftlet-test/nohome:1 || image nohome "nohome image" "USER 1000"
    podman image exists localhost/swiftlet-test/entry:1 \
        || image entry "entry image" 'ENTRYPOINT ["/bin/sh", "-c", "touch /entrypoint-ran; exit 3"]' \
            "ENV GREETING=from-the-image" "WORKDIR /srv/app"
    if ! podman image exists localhost/swiftlet-test/nosh:1; then
        local root
        root=$(mktemp -d "$state/root.XXXXXX")
        echo "no shell here" > "$root/readme"
        tar -C "$root" -c . | podman import -q - localhost/swiftlet-test/nosh:1 >/dev/null
        rm -rf "$root"
    fi
    # The private copy, pushed with the password (on stdin) into the registry.
    podman login --authfile "$state/push-auth.json" --username swiftlet --password-stdin "$registry" \
        < "$state/password" >/dev/null
    podman tag localhost/swiftlet-test/busybox:1 "$registry/swiftlet/private:1"
    podman push -q --authfile "$state/push-auth.json" "$registry/swiftlet/private:1" >/dev/null
    podman rmi -f "$registry/swiftlet/private:1" >/dev/null
    rm -f "$state/push-auth.json"
}

up() {
    [ "$(id -u)" -eq 0 ] || die "needs root (rootful podman)"
    for tool in podman runc docker-registry htpasswd openssl /bin/busybox curl; do
        command -v "$tool" >/dev/null || die "needs $tool (scripts/install-deps.sh --test)"
    done
    mkdir -p "$state"
    chmod 700 "$state"
    containers_conf
    certificate
    start_registry
    start_api_service
    images
    cat > "$state/env" <<EOF
SWIFTLET_TEST_REGISTRY=$registry
SWIFTLET_TEST_REGISTRY_USER=swiftlet
SWIFTLET_TEST_REGISTRY_PASSWORD_FILE=$state/password
SWIFTLET_TEST_DOCKER_HOST=unix://$state/podman.sock
EOF
    echo "container-testbed: registry https://$registry, podman API $state/podman.sock"
}

down() {
    for name in registry podman-api; do
        if running "$state/$name.pid"; then
            kill "$(cat "$state/$name.pid")" 2>/dev/null || true
        fi
    done
    if command -v podman >/dev/null; then
        podman ps -aq --filter name=^swiftlet- | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
        podman images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(localhost/swiftlet-test|127\.0\.0\.1:5000)/' \
            | xargs -r podman rmi -f >/dev/null 2>&1 || true
    fi
    # The CDI specs ContainerGPUTests write (they remove their own; a killed run leaves them).
    rm -f /etc/cdi/swiftlet-test-gpus-*.json
    rm -rf "$state" "/etc/containers/certs.d/$registry"
}

case "${1:-}" in
up) up ;;
down) down ;;
*) die "usage: $0 up|down" ;;
esac
