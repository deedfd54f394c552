// The boundary between flopscope and its CUDA probe module, libflopscope_cuda_probe.so.
//
// Why a module: linking the CUDA runtime and cuBLASLt into the binary cost every command
// about a second and 200 MB at start-up on a machine with CUDA installed (issue 12), for a
// probe that few runs use. The module is built next to the binary when CMake finds nvcc
// and cuBLASLt (FLOPSCOPE_CUDA), and cuda_probe.cc opens it with dlopen only when
// `flopscope probe` runs.
//
// The module exports two C symbols (the names below):
//   flopscope_cuda_probe_abi  uint64_t (): kCudaProbeModuleAbi as the module saw it
//   flopscope_cuda_probe_run  void (const CudaProbeOptions*, const GemmShapes*,
//                                   Result<CudaProbeResult>*)
// C++ types cross the boundary: loader and module come from the same build, and the ABI
// stamp (a version plus the sizes of the types that cross) refuses a module left over from
// another one. The loader fills in the profile's date and tool.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "flopscope/probe/cuda_probe.h"
#include "flopscope/util/result.h"

namespace flopscope::probe {

/// GEMM shapes (M, N, K) to time: cuda_gemm_shapes(options.quick).
using GemmShapes = std::vector<std::array<int64_t, 3>>;

/// Bump when a type that crosses the boundary changes without changing its size.
inline constexpr uint64_t kCudaProbeModuleVersion = 2;
inline constexpr uint64_t kCudaProbeModuleAbi = (kCudaProbeModuleVersion << 48) |
                                                (uint64_t{sizeof(CudaProbeOptions)} << 32) |
                                                (uint64_t{sizeof(CudaProbeResult)} << 16) |
                                                uint64_t{sizeof(Result<CudaProbeResult>)};

inline constexpr const char* kCudaProbeModuleAbiSymbol = "flopscope_cuda_probe_abi";
inline constexpr const char* kCudaProbeModuleRunSymbol = "flopscope_cuda_probe_run";
using CudaProbeModuleAbiFn = uint64_t (*)();
using CudaProbeModuleRunFn = void (*)(const CudaProbeOptions*, const GemmShapes*, Result<CudaProbeResult>*);

}  // namespace flopscope::probe
