#!/usr/bin/env bash
# Fails when a C++ source differs from what .clang-format makes of it.
set -euo pipefail
cd "$1"
mapfile -t files < <(find base sizing db appliance agents gui tests bench \
  -name '*.cpp' -o -name '*.h' | sort)
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
