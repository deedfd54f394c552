#!/usr/bin/env bash
# Installs dependencies, builds everything (tests, benchmarks, the Python module, the server)
# and runs every test (C++, CLI, Python, HTTP), checks `pip install .`, then runs each fuzz
# target for FUZZ_SECONDS (default 30) under ASan + UBSan (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)"
ctest --preset dev
# `pip install .` into a fresh venv and the README's Python one-liner, packing the module
# this build already made (docs/python.md).
FLOPSCOPE_WHEEL_BUILD_DIR=build/dev bash scripts/pip-check.sh
bash scripts/fuzz.sh
