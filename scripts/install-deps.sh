#!/usr/bin/env bash
# Installs the Debian packages flopscope builds against. Idempotent; needs root (or sudo).
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build pkg-config python3
  nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  libopenblas-dev libnlopt-cxx-dev libsqlite3-dev libglpk-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-dev
  pybind11-dev python3-dev python3-venv python3-pytest
  libcpp-httplib-dev
  chromium  # the web page's browser test (tests/server/browser_test.py)
  libpq-dev postgresql  # the ledger's PostgreSQL back end (libpq) and the server its tests start
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm installs the web page's chart library (scripts/web-deps.sh); Debian's when there is none.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
bash "$(dirname "$0")/web-deps.sh"
