#!/usr/bin/env bash
# Installs what Swiftlet needs, builds it, and launches examples/hello.yaml on the local infra.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
packaging/build-release.sh
exec packaging/out/swiftlet launch examples/hello.yaml -c hello "$@"
