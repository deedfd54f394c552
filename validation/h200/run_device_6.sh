#!/usr/bin/env bash
# Sixth H200 call (validation/h200/README.md): `flopscope probe` with the PyTorch part timing
# back-to-back calls (as do_bench and a training step run them), written as the H200 profile.
set -u
OUT=${OUT:?set OUT to the output folder}
KIT=${KIT:-.devkit}
cuda_lib=$(dirname "$(ls /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13 2>/dev/null | head -1)")
export LD_LIBRARY_PATH=$PWD/$KIT/lib:$cuda_lib:${LD_LIBRARY_PATH:-}
timeout 200 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200.profile.toml" >"$OUT/h200-probe.json" 2>"$OUT/log"; echo "rc $?"
timeout 200 "$KIT/flopscope" probe --hardware h200 2>&1 | head -40
