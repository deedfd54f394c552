# Sourced by the run_device*.sh scripts: OUT (the folder whose files come back), the kit of a
# flopscope built on the CPU machine (KIT, default .devkit: the stripped binary, its CUDA
# probe module, and the shared libraries the device image lacks: fmt, toml++, nlopt, onnx,
# protobuf, sqlite), the library path for it and cuBLASLt, and step() for the log.
OUT=${OUT:?set OUT to the output folder}
KIT=${KIT:-.devkit}
export PYTHONUNBUFFERED=1
cuda_lib=$(dirname "$(ls /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13 2>/dev/null | head -1)")
export LD_LIBRARY_PATH=$PWD/$KIT/lib:$cuda_lib:${LD_LIBRARY_PATH:-}
log=$OUT/log
step() { echo "=== $(date -u +%T) $*" >>"$log"; }
