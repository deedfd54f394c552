#!/usr/bin/env bash
# Installs the web page's chart library (uPlot) into apps/server/web/node_modules from the
# committed package-lock.json with `npm ci` (exact versions, integrity-checked). The build
# embeds its minified files into flopscope-serve (apps/server/CMakeLists.txt), so building
# needs no network afterwards. Called by scripts/install-deps.sh; skipped when the installed
# tree is newer than the lockfile; without npm it says so and the page draws plain SVG charts.
set -euo pipefail
web="$(cd "$(dirname "$0")/../apps/server/web" && pwd)"
if [ -f "$web/node_modules/uplot/dist/uPlot.iife.min.js" ] && [ "$web/node_modules/.package-lock.json" -nt "$web/package-lock.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "web-deps: npm not found (Debian: apt-get install nodejs npm); the page will draw plain SVG charts" >&2
  exit 0
fi
cd "$web"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
