#!/usr/bin/env bash
# Makes sure axe-core (Deque's accessibility checker, pinned) is in the
# project's cache for the accessibility browser test
# (cmd/scrm/a11y_e2e_test.go): installed from the npm registry once, then
# reused. Prints the path of axe.min.js.
set -euo pipefail

AXE_VERSION=4.10.3
dir="${SCRM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scrm}/axe-core-$AXE_VERSION"
js="$dir/node_modules/axe-core/axe.min.js"
if [ ! -s "$js" ]; then
  command -v npm >/dev/null 2>&1 || { echo "ensure-axe: npm is needed to fetch axe-core" >&2; exit 1; }
  mkdir -p "$dir"
  npm install --no-audit --no-fund --silent --prefix "$dir" "axe-core@$AXE_VERSION" >&2
fi
echo "$js"
