// The CPU probe: GEMM throughput through OpenBLAS (cblas_sgemm, cblas_dgemm) and memory
// bandwidth (copy, triad, read, write) of the host, written as a CalibrationProfile.
//
// Method (docs/calibration.md): inputs are random (not zeros, which some paths shortcut);
// each figure is the median of many timed runs after warm-up runs (stats.h); bandwidth
// buffers are at least 4x the last-level cache so that they stream from DRAM, and every
// thread works on its own slice (first-touched by that thread). Byte counts follow STREAM:
// copy = 2 x buffer (read + write), triad a = b + s*c = 3 x buffer, read = write = 1 x buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flopscope/hw/calibration.h"
#include "flopscope/probe/cpu_info.h"
#include "flopscope/util/result.h"

namespace flopscope::probe {

/// What `flopscope probe` writes in `tool`.
inline constexpr const char* kProbeTool = "flopscope probe 0.1.0";

struct CpuProbeOptions {
  std::vector<int64_t> gemm_sizes = {256, 512, 1024, 2048, 4096};  ///< square M = N = K, ascending
  bool gemm_fp64 = true;           ///< also time cblas_dgemm
  double bytes_buffer = 0;         ///< per bandwidth buffer; 0 = 4 x last-level cache
  int threads = 0;                 ///< 0 = every hardware thread
  int warmup = 2;
  int repetitions = 10;            ///< timed runs per bandwidth figure, and at most per GEMM
  double seconds_per_gemm = 0.5;   ///< per GEMM shape: runs past 3 stop once this is spent
  /// All GEMMs together: a size whose predicted time (from the previous size's throughput)
  /// would overrun this is skipped with a note, so small machines finish in seconds.
  double seconds_gemm_total = 5;
  /// Called with a short line before each step ("sgemm 1024^3"); may be empty.
  std::function<void(const std::string&)> progress;

  /// Fewer sizes and repetitions: about a second, for `flopscope probe --quick`.
  static CpuProbeOptions quick();
};

struct CpuProbeResult {
  CalibrationProfile profile;  ///< hardware_id left empty: the caller matches the catalog
  CpuInfo cpu;
  double bytes_buffer = 0;     ///< the bandwidth buffer size used
  int64_t threads = 0;         ///< threads used for bandwidth and BLAS
  bool have_blas = false;      ///< false: no GEMM figures (built without OpenBLAS, or it failed to load; notes say which)
  std::vector<std::string> notes;  ///< what was skipped and why
};

/// Runs the probe. Fails (kFailure) only when the buffers cannot be allocated.
Result<CpuProbeResult> run_cpu_probe(const CpuProbeOptions& options);

/// Today's date in UTC as YYYY-MM-DD (the profile's `date`).
std::string today_utc();

}  // namespace flopscope::probe
