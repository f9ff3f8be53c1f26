#!/usr/bin/env bash
# Fails if a layer includes a header from a layer the design does not let it depend on
# (../shared/DESIGN.md, "The layers"). Usage: layering_test.sh REPOSITORY_ROOT
set -euo pipefail
root=${1:?usage: layering_test.sh REPOSITORY_ROOT}
cd "$root"

declare -A allowed=(
  [core]="core"
  [console]="core console"
  [broker]="core broker console"
  [state]="core state"
  [operators]="core state operators"
  [runtime]="core console state operators runtime"
  [tools]="core broker tools"
)
layers="core console broker state operators runtime tools"

violations=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS=: read -r file line include; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$include")
    case " $layers " in *" $target "*) ;; *) continue ;; esac
    case " ${allowed[$layer]} " in
      *" $target "*) ;;
      *) echo "$file:$line: $layer may not include $target: $include"; violations=$((violations + 1)) ;;
    esac
  done < <(grep -rnE '^#include "[a-z_]+/' "$layer" --include='*.h' --include='*.cc' || true)
done

if [ "$violations" -gt 0 ]; then
  echo "$violations include(s) break the layering"
  exit 1
fi
echo "layering: every include goes down the design's table"
