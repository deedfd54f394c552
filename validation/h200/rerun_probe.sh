#!/usr/bin/env bash
# Prepared for the next GPU session (the sixth call was refused: no machine lent): `flopscope probe` with the PyTorch part timing
# back-to-back calls (as do_bench and a training step run them), written as the H200 profile.
set -u
source "$(dirname "$0")/device_env.sh"
timeout 200 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200.profile.toml" >"$OUT/h200-probe.json" 2>"$OUT/log"; echo "rc $?"
timeout 200 "$KIT/flopscope" probe --hardware h200 2>&1 | head -40
