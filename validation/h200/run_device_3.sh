#!/usr/bin/env bash
# Third H200 call (validation/h200/README.md): the eager host cost timed before any profiler
# ran (the second call's figures were taken after it and are slower), the Hugging Face step's
# host cost by phase, and `flopscope probe` again with the corrected PyTorch part.
set -u
OUT=${OUT:?set OUT to the output folder}
KIT=${KIT:-.devkit}
export PYTHONUNBUFFERED=1
cuda_lib=$(dirname "$(ls /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13 2>/dev/null | head -1)")
export LD_LIBRARY_PATH=$PWD/$KIT/lib:$cuda_lib:${LD_LIBRARY_PATH:-}
log=$OUT/log
step() { echo "=== $(date -u +%T) $*" >>"$log"; }
step torch_probe_direct
timeout 60 python3 data/probe/torch_probe.py 0 >"$OUT/torch_probe_direct.json" 2>>"$log"; echo "rc $?" >>"$log"
step mechanism_checks
timeout 200 python3 validation/h200/mechanism_checks.py --only eager_host,train_host --out "$OUT/mechanisms-host.json" 2>>"$log"; echo "rc $?" >>"$log"
step probe
timeout 200 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200.profile.toml" >"$OUT/h200-probe.json" 2>>"$log"; echo "rc $?" >>"$log"
step done
