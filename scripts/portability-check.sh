#!/usr/bin/env bash
# The release agent in hostile root file systems (needs root, debootstrap, busybox-static):
#  - builds the static release binaries and enforces the agent's size budget (25 MB);
#  - a bullseye minbase root (glibc 2.31) without libstdc++ and libgcc_s, and a busybox-only
#    root, both with a hostile /etc/nsswitch.conf (compat, hesiod);
#  - in each, as uid 4242 in new mount and pid namespaces: the agent's self-test, then a real
#    `serve --stdio` session driven by the controller (tests/PortabilityTests).
# Roots are cached in $SWIFTLET_ROOTFS_CACHE (default /tmp/swiftlet-rootfs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "portability-check: needs root (chroot, namespaces); skipped" >&2; exit 0; }
for package in debootstrap busybox-static; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
done
packaging/build-release.sh
agent=$PWD/packaging/out/swiftlet-agent
size=$(stat -c %s "$agent")
budget=$((25 * 1024 * 1024))
[ "$size" -le "$budget" ] || { echo "portability-check: agent is $size bytes, over the 25 MB budget" >&2; exit 1; }
echo "portability-check: agent size $((size / 1024 / 1024)) MB (budget 25 MB)"

cache=${SWIFTLET_ROOTFS_CACHE:-/tmp/swiftlet-rootfs}
mkdir -p "$cache"

hostile() {
    printf 'passwd: compat\ngroup: compat\nshadow: compat\nhosts: files hesiod dns\n' > "$1/etc/nsswitch.conf"
    mkdir -p "$1/home/u" "$1/proc" "$1/dev"
    chown 4242:4242 "$1/home/u"
}

bullseye=$cache/bullseye
if [ ! -f "$bullseye/.ready" ]; then
    rm -rf "$bullseye"
    debootstrap --variant=minbase bullseye "$bullseye" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
        || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    rm -f "$bullseye"/usr/lib/x86_64-linux-gnu/libstdc++.so* "$bullseye"/lib/x86_64-linux-gnu/libgcc_s.so* "$bullseye"/usr/lib/x86_64-linux-gnu/libgcc_s.so*
    hostile "$bullseye"
    touch "$bullseye/.ready"
fi

busybox=$cache/busybox
if [ ! -f "$busybox/.ready" ]; then
    rm -rf "$busybox"
    mkdir -p "$busybox/bin" "$busybox/etc"
    cp /bin/busybox "$busybox/bin/busybox"
    chroot "$busybox" /bin/busybox --install -s /bin
    hostile "$busybox"
    touch "$busybox/.ready"
fi

for root in "$bullseye" "$busybox"; do
    rm -rf "$root/home/u/.swiftlet"
    install -m 755 "$agent" "$root/swiftlet-agent"
    echo "portability-check: self-test in $root"
    unshare --mount --pid --fork /bin/sh -c \
        "mount -t proc proc '$root/proc' && mount --rbind /dev '$root/dev' && exec chroot --userspec=4242:4242 '$root' env HOME=/home/u /swiftlet-agent self-test"
done

SWIFTLET_PORTABILITY_ROOTFS="$bullseye:$busybox" SWIFTLET_PORTABILITY_AGENT="$agent" \
    swift test --skip-build --filter PortabilityTests
