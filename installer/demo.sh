#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and sizes the sample fleet in
# examples/. The PDF and HTML reports for people go under build/release/. With a display the
# console opens on the fleet (offline mode: sizing, what-if, failovers, export); without one
# the JSON answer goes to stdout. With arguments, runs understudy-size with them instead
# (e.g. ./installer/demo.sh examples/sample-fleet.json --target-risk 1e-6).
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/deps.sh
cmake --preset release >&2
cmake --build --preset release --target understudy-size understudy-console >&2
size=build/release/sizing/understudy-size
if [ $# -gt 0 ]; then
  exec "$size" "$@"
fi
fleet=examples/sample-fleet.json
"$size" "$fleet" --format pdf --output build/release/sample-fleet-report.pdf
"$size" "$fleet" --format html --output build/release/sample-fleet-report.html
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/release/gui/understudy-console "$fleet"
fi
exec "$size" "$fleet"
