#!/usr/bin/env bash
# Installs the Debian packages Swiftlet builds and tests with. Needs root (or sudo).
#   scripts/install-deps.sh          build dependencies only
#   scripts/install-deps.sh --test   plus what the test suite uses (sshd, iproute2, pdsh; podman,
#                                    runc, the distribution registry and htpasswd for containers;
#                                    rsync and tmux for ssh through swiftlet proxy and the shell)
set -euo pipefail
packages=(libssl-dev libsystemd-dev pkg-config openssh-client)
if [ "${1:-}" = "--test" ]; then
    packages+=(openssh-server iproute2 pdsh util-linux procps rsync tmux)
    packages+=(podman runc catatonit docker-registry apache2-utils busybox-static openssl curl)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "Swift 6.3 is needed: https://www.swift.org/install/linux/" >&2; exit 1; }
