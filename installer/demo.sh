#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the main job.
# - With a display: the demo service (`understudyd --demo`: a test-driver appliance of 256 GiB
#   and 64 CPUs with a sample fleet, a temporary database) and the console connected to it.
#   Closing the console stops the service.
# - Without one: sizes the sample fleet in examples/ (PDF and HTML reports under
#   build/release/, the JSON answer on stdout).
# With arguments, runs understudy-size with them instead
# (e.g. ./installer/demo.sh examples/sample-fleet.json --target-risk 1e-6).
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/deps.sh
cmake --preset release >&2
build=build/release
size=$build/sizing/understudy-size
if [ $# -gt 0 ]; then
  cmake --build --preset release --target understudy-size >&2
  exec "$size" "$@"
fi
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cmake --build --preset release --target understudy-size >&2
  fleet=examples/sample-fleet.json
  "$size" "$fleet" --format pdf --output $build/sample-fleet-report.pdf
  "$size" "$fleet" --format html --output $build/sample-fleet-report.html
  exec "$size" "$fleet"
fi

cmake --build --preset release --target understudyd understudyctl understudy-console >&2
port=${UNDERSTUDY_DEMO_PORT:-8470}
url=http://127.0.0.1:$port
UNDERSTUDY_ADMIN_TOKEN=${UNDERSTUDY_ADMIN_TOKEN:-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')}
export UNDERSTUDY_ADMIN_TOKEN
# The request log of every long-poll would drown the demo's messages.
QT_LOGGING_RULES="understudy.api.info=false" $build/appliance/daemon/understudyd --demo --listen "127.0.0.1:$port" &
service=$!
trap 'kill "$service" 2>/dev/null; wait "$service" 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  if UNDERSTUDY_TOKEN=$UNDERSTUDY_ADMIN_TOKEN $build/agents/ctl/understudyctl --url "$url" check >/dev/null 2>&1; then
    break
  fi
  kill -0 "$service" 2>/dev/null || { echo "demo: understudyd exited; see its messages above" >&2; exit 1; }
  sleep 0.1
done
echo "demo: understudyd --demo at $url (admin token in UNDERSTUDY_ADMIN_TOKEN of this shell)" >&2
UNDERSTUDY_TOKEN=$UNDERSTUDY_ADMIN_TOKEN $build/gui/understudy-console --url "$url"
