#!/usr/bin/env bash
# Fails when a source file includes a header of a layer above its own (docs/architecture.md,
# "The layers"): each folder lists the folders it may include from.
set -euo pipefail
cd "$1"

declare -A allowed=(
  [base]="base"
  [sizing]="base sizing"
  [db]="base db"
  [appliance/policy]="base sizing db appliance/policy"
  [appliance/hypervisor]="base sizing appliance/hypervisor"
  [appliance/http]="base appliance/http"
  [appliance/core]="base sizing db appliance/policy appliance/hypervisor appliance/core"
  [appliance/api]="base sizing db appliance/policy appliance/hypervisor appliance/http appliance/core appliance/api"
  [appliance/daemon]="base sizing db appliance/policy appliance/hypervisor appliance/http appliance/core appliance/api appliance/daemon"
  [appliance/client]="base sizing appliance/client"
  [agents]="base sizing appliance/client agents"
  [gui/widgets]="base sizing appliance/client gui/widgets"
  [gui/offline]="base sizing appliance/client gui/widgets gui/offline"
  [gui/online]="base sizing appliance/client gui/widgets gui/offline gui/online"
  [gui/app]="base sizing appliance/client gui"
)

problems=0
checked=0
for folder in "${!allowed[@]}"; do
  while IFS= read -r -d '' file; do
    checked=$((checked + 1))
    while IFS= read -r line; do
      header=${line#*\"}
      header=${header%\"*}
      # Project headers only: their path starts with a top-level folder.
      case "$header" in
        */*) ;;
        *) continue ;;
      esac
      [ -e "$header" ] || continue
      ok=0
      for prefix in ${allowed[$folder]}; do
        if [[ "$header" == "$prefix"/* ]]; then
          ok=1
          break
        fi
      done
      # sizing/ itself never includes its report renderer, which sits on Qt Gui.
      if [[ "$folder" == sizing && "$header" == sizing/report/* && "$file" != sizing/report/* \
            && "$file" != sizing/tools/* ]]; then
        ok=0
      fi
      if [ "$ok" -eq 0 ]; then
        echo "$file includes $header: $folder may include only from: ${allowed[$folder]}" >&2
        problems=$((problems + 1))
      fi
    done < <(grep -E '^#include "' "$file" || true)
  done < <(find "$folder" \( -name '*.cpp' -o -name '*.h' \) -print0)
done

if [ "$problems" -gt 0 ]; then
  echo "layers: $problems include(s) run up the layers" >&2
  exit 1
fi
echo "layers: $checked files, every include points down"
