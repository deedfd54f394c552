#!/usr/bin/env bash
# `pip install .` into a fresh virtual environment, then the README's one-liner: what a user
# does (docs/python.md). Offline: the in-tree build backend needs nothing from an index.
# With FLOPSCOPE_WHEEL_BUILD_DIR set to a configured build with FLOPSCOPE_PYTHON on (test.sh
# passes build/dev), the wheel is packed from that build instead of a fresh Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/venv-check
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --no-index . >/dev/null
cd /tmp
"$OLDPWD/$venv/bin/python" -c "import flopscope; print(flopscope.count('llama-3.1-8b')['params'])"
