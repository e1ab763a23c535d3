#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and sizes the sample fleet
# shipped in examples/ (JSON on stdout, an HTML report beside the build).
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target understudy-size
exec build/release/sizing/understudy-size examples/sample-fleet.json "$@"
