#!/usr/bin/env bash
# A multi-host SSH test bed on one machine: N network namespaces on a bridge, each running its
# own sshd with its own host key and its own /root (a mount namespace per host).
#
#   scripts/testbed.sh up N      start hosts 1..N (idempotent; hosts already up are kept)
#   scripts/testbed.sh down      stop every sshd by PID and remove namespaces and links
#   scripts/testbed.sh status    list hosts and whether their sshd answers
#
# Needs root, iproute2 and openssh-server. State lives in $SWIFTLET_TESTBED
# (default /tmp/swiftlet-testbed): client_key, ssh_config, ssh_node_pools.yaml (pool "testbed"),
# and per host hN/{root,sshd_config,sshd.pid,sshd.log}. Host N is 10.213.0.(10+N), alias swl-hN.
set -euo pipefail

state=${SWIFTLET_TESTBED:-/tmp/swiftlet-testbed}
bridge=swlbr0
subnet=10.213.0
sshd=/usr/sbin/sshd

die() { echo "testbed: $*" >&2; exit 1; }

address() { echo "$subnet.$((10 + $1))"; }

require() {
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
    command -v ip >/dev/null || die "needs iproute2 (apt-get install iproute2)"
    [ -x "$sshd" ] || die "needs openssh-server (apt-get install openssh-server)"
}

bridge_up() {
    if ! ip link show "$bridge" >/dev/null 2>&1; then
        ip link add "$bridge" type bridge
        ip addr add "$subnet.1/24" dev "$bridge"
    fi
    ip link set "$bridge" up
}

client_key() {
    mkdir -p "$state"
    chmod 700 "$state"
    [ -f "$state/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C swiftlet-testbed -f "$state/client_key"
}

host_up() {
    local i=$1 ns="swl-h$1" dir="$state/h$1" ip
    ip=$(address "$i")
    if [ -f "$dir/sshd.pid" ] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then
        return 0
    fi
    mkdir -p "$dir/root/.ssh" /run/sshd
    chmod 700 "$dir/root" "$dir/root/.ssh"
    cp "$state/client_key.pub" "$dir/root/.ssh/authorized_keys"
    [ -f "$dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C "swl-h$i" -f "$dir/host_key"
    cat > "$dir/sshd_config" <<CONFIG
ListenAddress $ip
Port 22
HostKey $dir/host_key
PidFile none
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
AcceptEnv none
MaxSessions 100
MaxStartups 100:30:200
Subsystem sftp internal-sftp
SetEnv SWIFTLET_NODE_CPUS=64
CONFIG
    # SWIFTLET_NODE_CPUS: a host here is shared by every test running at once (one daemon per
    # user), so its queue counts 64 CPUs: a task's half-CPU default demand must not make one
    # test wait behind another's long jobs. Queue behaviour itself is tested on local nodes.
    # Host 5 refuses AES-128-GCM, the transport's first choice, and logs the cipher each
    # connection agrees on: the cipher preference is tested there (SSHCipherPreferenceTests).
    # (Not host 8: a test there deletes the installed agent under other connections.)
    if [ "$i" = 5 ]; then
        printf 'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr\nLogLevel DEBUG1\n' >> "$dir/sshd_config"
    fi
    if ! ip netns list | grep -qw "$ns"; then
        ip netns add "$ns"
    fi
    if ! ip link show "$ns-br" >/dev/null 2>&1; then
        ip link add "$ns-br" type veth peer name "$ns-in"
        ip link set "$ns-in" netns "$ns"
        ip link set "$ns-br" master "$bridge" up
        ip -n "$ns" link set "$ns-in" name eth0
        ip -n "$ns" addr add "$ip/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" route add default via "$subnet.1" 2>/dev/null || true
    fi
    # Own /root per host: a private mount namespace with the host's directory bound over /root.
    # nsenter rather than `ip netns exec`, which mounts a sysfs of its own over /sys and so hides
    # the cgroup mounts that podman on the host needs.
    nsenter --net="/run/netns/$ns" unshare --mount --propagation private \
        sh -c "mount --bind '$dir/root' /root && exec $sshd -D -e -f '$dir/sshd_config'" \
        >"$dir/sshd.log" 2>&1 </dev/null &
    echo $! > "$dir/sshd.pid"
}

write_configs() {
    local n=$1 i
    : > "$state/ssh_config"
    {
        echo "testbed:"
        echo "  user: root"
        echo "  identity_file: $state/client_key"
        echo "  hosts:"
    } > "$state/ssh_node_pools.yaml"
    for i in $(seq 1 "$n"); do
        cat >> "$state/ssh_config" <<CONFIG
Host swl-h$i
    HostName $(address "$i")
    User root
    IdentityFile $state/client_key
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
CONFIG
        echo "    - $(address "$i")" >> "$state/ssh_node_pools.yaml"
    done
    echo "$n" > "$state/hosts"
}

wait_ready() {
    local n=$1 i deadline
    deadline=$((SECONDS + 20))
    for i in $(seq 1 "$n"); do
        until ssh -F "$state/ssh_config" -o BatchMode=yes -o ConnectTimeout=2 "swl-h$i" true 2>/dev/null; do
            if [ $SECONDS -ge $deadline ]; then
                cat "$state/h$i/sshd.log" >&2 || true
                die "host $i ($(address "$i")) did not answer ssh within 20 s"
            fi
            sleep 0.2
        done
    done
}

up() {
    local n=${1:?usage: testbed.sh up N}
    require
    exec 9>"/tmp/swiftlet-testbed.lock"
    flock 9
    client_key
    bridge_up
    local current=0
    [ -f "$state/hosts" ] && current=$(cat "$state/hosts")
    [ "$current" -gt "$n" ] && n=$current
    for i in $(seq 1 "$n"); do host_up "$i"; done
    write_configs "$n"
    wait_ready "$n"
    echo "testbed: $n hosts up; ssh -F $state/ssh_config swl-h1"
}

down() {
    local dir i ns
    for dir in "$state"/h*; do
        [ -d "$dir" ] || continue
        if [ -f "$dir/sshd.pid" ]; then
            kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true
            rm -f "$dir/sshd.pid"
        fi
    done
    for ns in $(ip netns list 2>/dev/null | awk '/^swl-h[0-9]+/ {print $1}'); do
        # What the hosts still run (agent daemons, jobs left behind) goes with them.
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip link del "$ns-br" 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del "$bridge" 2>/dev/null || true
    rm -f "$state/hosts"
    echo "testbed: down"
}

status() {
    local n=0 i
    [ -f "$state/hosts" ] && n=$(cat "$state/hosts")
    for i in $(seq 1 "$n"); do
        if ssh -F "$state/ssh_config" -o BatchMode=yes -o ConnectTimeout=2 "swl-h$i" true 2>/dev/null; then
            echo "swl-h$i $(address "$i") up"
        else
            echo "swl-h$i $(address "$i") down"
        fi
    done
}

case "${1:-}" in
    up) up "${2:-}" ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up N | down | status" >&2; exit 64 ;;
esac
