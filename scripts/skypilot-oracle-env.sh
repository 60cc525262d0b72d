#!/usr/bin/env bash
# SkyPilot 0.14.1 itself, from PyPI, in a virtual environment at $1: the oracle the schema tests
# ask (SkyPilotOracleTests, scripts/skypilot-oracle.py). Made once; a ready one is kept.
set -euo pipefail
venv=${1:?usage: $0 DIRECTORY}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sky' 2>/dev/null; then
    exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check skypilot==0.14.1
"$venv/bin/python" -c 'import sky'
