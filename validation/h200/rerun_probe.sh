#!/usr/bin/env bash
# Prepared for the next GPU session: `flopscope probe` timing each call alone as do_bench does
# (docs/calibration.md), written as the H200 profile; then score it against the H200 file:
#   python3 validation/h100/score.py --data validation/h200/h200-calibration.json --hardware h200 \
#       --profile <files_at>/h200.profile.toml
# and compare with the table of validation/h200/README.md ("profile timed as do_bench").
set -u
source "$(dirname "$0")/device_env.sh"
timeout 200 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200.profile.toml" >"$OUT/h200-probe.json" 2>"$OUT/log"; echo "rc $?"
timeout 200 "$KIT/flopscope" probe --hardware h200 2>&1 | head -40
