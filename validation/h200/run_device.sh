#!/usr/bin/env bash
# The H200 campaign of issue 9, as one device call (validation/h200/README.md):
#   measure_calibration.py (the H100 file's cases + extra ones), `flopscope probe` (cuBLASLt
#   GEMMs, bandwidth, launch overhead), measure_gemm.py (square GEMMs, all dtypes) and the
#   transformers parameter counts. Run from the repo root with OUT set to an empty folder.
# The kit (KIT, default .devkit) holds a flopscope built on the CPU machine (stripped), its CUDA
# probe module and the shared libraries the device image lacks (fmt, toml++, nlopt, onnx,
# protobuf); each step has its own timeout, so a slow one cannot lose the others' results.
set -u
source "$(dirname "$0")/device_env.sh"
step env; { nvidia-smi; python3 -c "import torch, triton, transformers; print(torch.__version__, triton.__version__, transformers.__version__)"; } >>"$log" 2>&1
step measure_calibration
timeout 330 python3 validation/measure_calibration.py --out "$OUT/h200-calibration.json" 2>>"$log"; echo "rc $?" >>"$log"
step probe
timeout 120 "$KIT/flopscope" probe --json --hardware h200 --out "$OUT/h200-probe.profile.toml" >"$OUT/h200-probe.json" 2>>"$log"; echo "rc $?" >>"$log"
step measure_gemm
timeout 90 python3 validation/h100/measure_gemm.py --out "$OUT/h200-probe-sample.json" >>"$log" 2>&1; echo "rc $?" >>"$log"
step count_reference
timeout 50 python3 validation/params/count_reference.py tests/data/configs/*.json >"$OUT/transformers-counts.json" 2>>"$log"; echo "rc $?" >>"$log"
step done
