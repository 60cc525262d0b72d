#!/usr/bin/env bash
# Builds the host package of the node agent with dpkg-deb (no network): the static agent as
# /usr/bin/swiftlet-agent, the host build linked with libsystemd (journald fields for job events)
# as /usr/lib/swiftlet/swiftlet-agent-host, which the systemd units run (system:
# swiftlet-agent.service for root, swiftlet-agent@USER.service for any user; user:
# swiftlet-agent.service).
#   packaging/build-deb.sh [OUT_DIR]     (default: packaging/out; builds the release first if needed)
# Prints the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-packaging/out}
[ -x "$out/swiftlet-agent" ] || packaging/build-release.sh "$out" >&2
# The Swift runtime linked in, glibc and libsystemd from the host.
log=$(mktemp)
if ! swift build -c release --scratch-path .build-host --product swiftlet-agent-host --static-swift-stdlib >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    exit 1
fi
rm -f "$log"
strip -o "$out/swiftlet-agent-host" .build-host/release/swiftlet-agent-host
version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/SwiftletAgent/AgentBuild.swift)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$out/swiftlet-agent" "$stage/usr/bin/swiftlet-agent"
install -D -m 0755 "$out/swiftlet-agent-host" "$stage/usr/lib/swiftlet/swiftlet-agent-host"
install -D -m 0644 systemd/swiftlet-agent.service "$stage/lib/systemd/system/swiftlet-agent.service"
install -D -m 0644 systemd/swiftlet-agent@.service "$stage/lib/systemd/system/swiftlet-agent@.service"
install -D -m 0644 systemd/user/swiftlet-agent.service "$stage/usr/lib/systemd/user/swiftlet-agent.service"
mkdir -p "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: swiftlet-agent
Version: $version
Architecture: $arch
Maintainer: Swiftlet developers <dev@swiftlet.invalid>
Section: admin
Priority: optional
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Depends: libc6 (>= 2.34), libssl3, libsystemd0, libstdc++6, libgcc-s1
Description: Swiftlet node agent
 The node runtime of Swiftlet: runs SkyPilot task jobs for the swiftlet controller,
 keeps them running when the controller's connection drops, and queues them for the
 node's GPUs and CPUs. Under systemd it reports readiness and a watchdog with the
 sd_notify protocol and logs job events to journald with their fields
 (journalctl SWIFTLET_JOB_ID=3). The static /usr/bin/swiftlet-agent is the one the
 controller copies into containers and pods.
CONTROL
deb="$out/swiftlet-agent_${version}_${arch}.deb"
dpkg-deb --build --root-owner-group "$stage" "$deb" >/dev/null
echo "$deb"
