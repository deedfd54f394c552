#!/usr/bin/env bash
# Second H200 call (validation/h200/README.md): `flopscope probe` with its PyTorch part
# (attention forward/backward and eager host cost into the profile) and the mechanism checks
# (gradient accumulation in the H100 attention harness, eager host cost per kernel of the
# compact decoder, fp8 decode GEMMs with and without the activation cast). Same kit as
# run_device.sh; OUT must be set.
set -u
OUT=${OUT:?set OUT to the output folder}
KIT=${KIT:-.devkit}
export PYTHONUNBUFFERED=1
cuda_lib=$(dirname "$(ls /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13 2>/dev/null | head -1)")
export LD_LIBRARY_PATH=$PWD/$KIT/lib:$cuda_lib:${LD_LIBRARY_PATH:-}
log=$OUT/log
step() { echo "=== $(date -u +%T) $*" >>"$log"; }
step probe
timeout 240 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200-probe-torch.profile.toml" >"$OUT/h200-probe-torch.json" 2>>"$log"; echo "rc $?" >>"$log"
step mechanism_checks
timeout 240 python3 validation/h200/mechanism_checks.py --out "$OUT/mechanisms.json" 2>>"$log"; echo "rc $?" >>"$log"
step torch_probe_direct
timeout 60 python3 data/probe/torch_probe.py 0 >"$OUT/torch_probe_direct.json" 2>>"$log"; echo "rc $?" >>"$log"
step done
