#!/usr/bin/env bash
# Builds the host package of the node agent with dpkg-deb (no network): the static agent as
# /usr/bin/swiftlet-agent, and the systemd units (system: swiftlet-agent.service for root,
# swiftlet-agent@USER.service for any user; user: swiftlet-agent.service).
#   packaging/build-deb.sh [OUT_DIR]     (default: packaging/out; builds the release first if needed)
# Prints the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-packaging/out}
[ -x "$out/swiftlet-agent" ] || packaging/build-release.sh "$out" >&2
version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/SwiftletAgent/AgentBuild.swift)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$out/swiftlet-agent" "$stage/usr/bin/swiftlet-agent"
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
Description: Swiftlet node agent
 The node runtime of Swiftlet: runs SkyPilot task jobs for the swiftlet controller,
 keeps them running when the controller's connection drops, and queues them for the
 node's GPUs and CPUs. One static binary; under systemd it reports readiness and a
 watchdog with the sd_notify protocol.
CONTROL
deb="$out/swiftlet-agent_${version}_${arch}.deb"
dpkg-deb --build --root-owner-group "$stage" "$deb" >/dev/null
echo "$deb"
