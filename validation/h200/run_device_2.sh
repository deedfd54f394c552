#!/usr/bin/env bash
# Second H200 call (validation/h200/README.md): `flopscope probe` with its PyTorch part
# (attention forward/backward and eager host cost into the profile) and the mechanism checks
# (gradient accumulation in the H100 attention harness, eager host cost per kernel of the
# compact decoder, fp8 decode GEMMs with and without the activation cast). Same kit as
# run_device.sh; OUT must be set.
set -u
source "$(dirname "$0")/device_env.sh"
step probe
timeout 240 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200-probe-torch.profile.toml" >"$OUT/h200-probe-torch.json" 2>>"$log"; echo "rc $?" >>"$log"
step mechanism_checks
timeout 240 python3 validation/h200/mechanism_checks.py --out "$OUT/mechanisms.json" 2>>"$log"; echo "rc $?" >>"$log"
step torch_probe_direct
timeout 60 python3 data/probe/torch_probe.py 0 >"$OUT/torch_probe_direct.json" 2>>"$log"; echo "rc $?" >>"$log"
step done
