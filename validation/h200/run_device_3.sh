#!/usr/bin/env bash
# Third H200 call (validation/h200/README.md): the eager host cost timed before any profiler
# ran (the second call's figures were taken after it and are slower), the Hugging Face step's
# host cost by phase, and `flopscope probe` again with the corrected PyTorch part.
set -u
source "$(dirname "$0")/device_env.sh"
step torch_probe_direct
timeout 60 python3 data/probe/torch_probe.py 0 >"$OUT/torch_probe_direct.json" 2>>"$log"; echo "rc $?" >>"$log"
step mechanism_checks
timeout 200 python3 validation/h200/mechanism_checks.py --only eager_host,train_host --out "$OUT/mechanisms-host.json" 2>>"$log"; echo "rc $?" >>"$log"
step probe
timeout 200 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200.profile.toml" >"$OUT/h200-probe.json" 2>>"$log"; echo "rc $?" >>"$log"
step done
