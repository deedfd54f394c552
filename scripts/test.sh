#!/usr/bin/env bash
# Installs dependencies, builds everything (tests, benchmarks) and runs every test, then
# each fuzz target for FUZZ_SECONDS (default 30) under ASan + UBSan (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)"
ctest --preset dev
bash scripts/fuzz.sh
