#!/usr/bin/env bash
# Fourth H200 call (validation/h200/README.md): the host costs again, each check in its own
# process and every case timed before any profiler ran (in the third call the checks after the
# first were timed after a profiler had run in the same process, which slows launches).
set -u
source "$(dirname "$0")/device_env.sh"
step train_host
timeout 120 python3 validation/h200/mechanism_checks.py --only train_host --out "$OUT/mechanisms-train-host.json" 2>>"$log"; echo "rc $?" >>"$log"
step eager_host
timeout 120 python3 validation/h200/mechanism_checks.py --only eager_host --out "$OUT/mechanisms-eager-host.json" 2>>"$log"; echo "rc $?" >>"$log"
step torch_probe_direct
timeout 60 python3 data/probe/torch_probe.py 0 >"$OUT/torch_probe_direct.json" 2>>"$log"; echo "rc $?" >>"$log"
step done
