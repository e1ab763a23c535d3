#!/usr/bin/env bash
# The README's test command: installs what is missing, runs the fuzzers for a bounded time
# (preset fuzz: clang, sanitizers), then builds with warnings as errors and runs the whole
# suite, ending with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/deps.sh
cmake --workflow --preset fuzz
cmake --workflow --preset ci
