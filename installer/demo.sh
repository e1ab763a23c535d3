#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and sizes the sample fleet in
# examples/: the PDF and HTML reports for people go under build/release/, the JSON answer to
# stdout. With arguments, runs understudy-size with them instead
# (e.g. ./installer/demo.sh examples/sample-fleet.json --target-risk 1e-6).
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/deps.sh
cmake --preset release >&2
cmake --build --preset release --target understudy-size >&2
size=build/release/sizing/understudy-size
if [ $# -gt 0 ]; then
  exec "$size" "$@"
fi
fleet=examples/sample-fleet.json
"$size" "$fleet" --format pdf --output build/release/sample-fleet-report.pdf
"$size" "$fleet" --format html --output build/release/sample-fleet-report.html
exec "$size" "$fleet"
