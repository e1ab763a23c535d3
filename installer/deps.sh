#!/usr/bin/env bash
# Installs the Debian 12 packages Understudy needs to build, test and run its demo.
# The one list of the project's packages. Idempotent: quick when everything is present.
# Usage: installer/deps.sh          (as root, or as a user with sudo)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang-format
  # the fuzz preset: clang with libFuzzer and the sanitizers' runtime
  clang-14 libclang-rt-14-dev
  # libraries
  libvirt-dev qt6-base-dev qt6-charts-dev libqt6opengl6-dev libsqlite3-dev libboost1.81-dev
  nlohmann-json3-dev libbenchmark-dev
  # the e2e tests hold every answer to the served OpenAPI document with a JSON Schema validator
  # (tests/support/openapi_validate.py)
  python3-jsonschema
  # self-signed certificates for the API server's TLS tests
  openssl
  # the shipped monitoring's checks: promtool (check metrics, check and test rules)
  prometheus
  # real-hypervisor tests: libvirtd with QEMU (software emulation) and a guest kernel + busybox initramfs
  libvirt-daemon-system qemu-system-x86 linux-image-amd64 busybox-static cpio
  # headless GUI tests, screenshots and report rendering
  xvfb xauth fonts-dejavu-core poppler-utils
  # cluster agents: OCF shell functions and ocf-tester, Pacemaker's offline tools, fence-agents' metadata to compare with
  resource-agents pacemaker-cli-utils fence-agents
  # the live-cluster lab (tests/cluster): corosync and Pacemaker in namespaces, on veths and a bridge
  corosync pacemaker iproute2 procps
  # the console keeps its admin token in the desktop's keyring
  qtkeychain-qt6-dev
  # the Debian packages: cpack's dependency scan (dpkg-shlibdeps), their checks (lintian, the
  # unit's systemd-analyze verify), and what they depend on beyond shared libraries
  dpkg-dev lintian systemd adduser qt6-qpa-plugins
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present" >&2
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: run as root or install sudo" >&2; exit 1; }
  as_root=(sudo)
fi

echo "deps: installing ${#missing[@]} package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
