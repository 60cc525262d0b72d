#!/usr/bin/env bash
# The host package (needs root, debootstrap, systemd's systemd-analyze): builds the .deb with
# dpkg-deb, installs it with dpkg into a Debian bookworm root that has systemd (debootstrap
# minbase + systemd, cached in $SWIFTLET_ROOTFS_CACHE), checks what it installed, runs the
# installed agent, verifies every unit with `systemd-analyze verify --root`, and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "package-check: needs root (dpkg --root, debootstrap); skipped" >&2; exit 0; }
for package in debootstrap systemd; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
done
fail() { echo "package-check: $*" >&2; exit 1; }

cache=${SWIFTLET_ROOTFS_CACHE:-/tmp/swiftlet-rootfs}
base=$cache/bookworm-systemd
if [ ! -f "$base/.ready" ]; then
    rm -rf "$base"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include=systemd bookworm "$base" http://deb.debian.org/debian >"$cache/debootstrap-systemd.log" 2>&1 \
        || { tail -n 20 "$cache/debootstrap-systemd.log" >&2; exit 1; }
    touch "$base/.ready"
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp -a "$base/." "$root/"

deb=$(packaging/build-deb.sh)
echo "package-check: $deb ($(($(stat -c %s "$deb") / 1024 / 1024)) MB)"
dpkg --root="$root" -i "$deb" >/dev/null
dpkg --root="$root" -s swiftlet-agent | grep -q "^Status: install ok installed" || fail "dpkg does not list swiftlet-agent as installed"
"$root/usr/bin/swiftlet-agent" version | grep -q "^swiftlet-agent " || fail "the installed agent does not run"
# The host build runs on the root's own libraries (glibc, libsystemd, libstdc++), with its /proc.
unshare --mount --pid --fork sh -c "mount -t proc proc '$root/proc' && chroot '$root' /usr/lib/swiftlet/swiftlet-agent-host self-test" \
    >/dev/null || fail "the installed host agent does not run in the root"
for unit in /lib/systemd/system/swiftlet-agent.service /lib/systemd/system/swiftlet-agent@alice.service \
    /usr/lib/systemd/user/swiftlet-agent.service; do
    # The user unit is checked as a unit file; --user cannot be combined with --root.
    (cd / && systemd-analyze verify --root="$root" "$unit") || fail "systemd-analyze verify rejects $unit"
    grep -q "^Type=notify$" "$root${unit/@alice/@}" || fail "$unit is not Type=notify"
    grep -q "^WatchdogSec=" "$root${unit/@alice/@}" || fail "$unit has no watchdog"
done
echo "package-check: installed into a bookworm root; both agents run there; systemd-analyze verify accepts all 3 units"
dpkg --root="$root" -r swiftlet-agent >/dev/null
[ ! -e "$root/usr/bin/swiftlet-agent" ] || fail "dpkg -r left /usr/bin/swiftlet-agent behind"
echo "package-check: removed cleanly"
