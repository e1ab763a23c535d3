#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors and runs
# the whole suite, ending with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/deps.sh
cmake --workflow --preset ci
