// The GPU probe (CUDA runtime + cuBLASLt): GEMM throughput per dtype over a sweep of square
// and LLM shapes, device memory bandwidth (copy, read, write) and kernel launch overhead,
// written as a CalibrationProfile of device 0.
//
// Method (docs/calibration.md): random inputs; the weight operand is rotated among enough
// copies that together they exceed twice the L2, so no run finds its weights cached; each
// shape is warmed up, then timed with CUDA events around a batch of back-to-back calls
// (batch sized to about a millisecond) and the median batch gives seconds per call.
// GEMM layout follows torch.nn.Linear: Y[M,N] = X[M,K] W[N,K]^T (cuBLASLt "TN").
// fp8 is e4m3 inputs with bf16 output and needs compute capability 8.9+; it is skipped, with
// a note, elsewhere. Built only with FLOPSCOPE_CUDA (CMake); otherwise run_cuda_probe says so.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flopscope/hw/calibration.h"
#include "flopscope/probe/stats.h"
#include "flopscope/util/result.h"

namespace flopscope::probe {

struct CudaProbeOptions {
  bool quick = false;  ///< square shapes and bf16/fp8 only, fewer repetitions
  int device = 0;
  std::vector<DType> dtypes = {DType::kBF16, DType::kFP16, DType::kFP8, DType::kTF32, DType::kFP32};
  /// Called with a short line before each step; may be empty.
  std::function<void(const std::string&)> progress;
};

struct CudaProbeResult {
  CalibrationProfile profile;      ///< hardware_id left empty: the caller matches the catalog
  int compute_capability = 0;      ///< 90 for sm_90
  std::vector<std::string> notes;  ///< what was skipped and why ("fp8: needs sm_89+, device is sm_80")
  std::vector<CopyTiming> copy_sweep;  ///< the module's copies; the loader fits them (apply_copy_sweep)
};

/// Sets the profile's seconds_launch_overhead and bytes_per_second_copy from the result's copy
/// sweep (fit_copy_line). A sweep no line fits leaves both at 0 (not measured) with a note.
void apply_copy_sweep(CudaProbeResult& result);

/// The GEMM shapes (M, N, K) the probe sweeps: square 512..8192, then M in
/// {1, 16, 128, 512, 2048, 8192} for (N, K) in {(4096, 4096), (14336, 4096), (4096, 14336),
/// (128256, 4096)} (Llama-3-8B projections and LM head). Quick: square only.
std::vector<std::array<int64_t, 3>> cuda_gemm_shapes(bool quick);

/// True when this build contains the CUDA probe (CMake FLOPSCOPE_CUDA found nvcc and cuBLASLt).
bool cuda_probe_built();

/// Measures device `options.device`. No usable device (none, no driver, or a build without
/// CUDA) gives kNotFound "no CUDA device found (<reason>)"; a CUDA failure mid-way, kFailure.
Result<CudaProbeResult> run_cuda_probe(const CudaProbeOptions& options);

}  // namespace flopscope::probe
