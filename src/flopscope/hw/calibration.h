// A calibration profile: what a machine actually achieves (GEMM throughput by shape and
// dtype, memory bandwidth, kernel launch overhead). `flopscope probe` writes one; the timing
// engine (perf/) reads one with --profile and uses it instead of catalog defaults.
//
// File format (TOML), documented in docs/calibration.md:
//   [device]   name, hardware_id (catalog id it matches, if known), compute_units, bytes_l2, ...
//   [memory]   bytes_per_second_copy, bytes_per_second_triad, bytes_per_second_read, ...
//   [launch]   seconds_overhead (per kernel, GPU), seconds_host_eager (per op, framework)
//   [[gemm]]   dtype, m, n, k, seconds, flops_per_second      (one per measured shape)
//   [[attention]] batch, heads, seq, head_dim, causal, backward, seconds (one per call timed;
//              backward = true: forward + backward, gradients not accumulated; version 2)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/util/dtype.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// The profile format version this build writes and the newest it reads (`version = 2`;
/// version 1 had no [[attention]] samples and reads unchanged).
inline constexpr int64_t kCalibrationProfileVersion = 2;

struct GemmSample {
  DType dtype = DType::kBF16;
  int64_t m = 0, n = 0, k = 0;
  double seconds = 0;
  double flops_per_second = 0;  ///< 2*m*n*k / seconds
};

/// One fused (flash) attention call timed on the device: q, k, v [batch, heads, seq, head_dim]
/// in 16-bit, self-attention. `backward`: the time of forward + backward together.
struct AttentionSample {
  int64_t batch = 0, heads = 0, seq = 0, head_dim = 0;
  bool causal = false;
  bool backward = false;
  double seconds = 0;
};

/// Bounds of an attention sample, wherever one is read (a profile's [[attention]], the
/// probe's PyTorch output): sizes a GPU can hold, times a measurement can take (docs/limits.md).
inline constexpr int64_t kAttentionSampleMaxBatch = int64_t{1} << 20;
inline constexpr int64_t kAttentionSampleMaxHeads = 4096;
inline constexpr int64_t kAttentionSampleMaxSeq = int64_t{1} << 24;
inline constexpr int64_t kAttentionSampleMaxHeadDim = 1024;
inline constexpr double kAttentionSampleMinSeconds = 1e-9;
inline constexpr double kAttentionSampleMaxSeconds = 1e4;

struct CalibrationProfile {
  std::string device_name;  ///< as the driver reports it
  std::string hardware_id;  ///< catalog id this profile calibrates ("" if unknown)
  std::string date;
  std::string tool;         ///< what measured it ("flopscope probe 0.1.0", "pytorch do_bench")
  int64_t compute_units = 0;
  double bytes_l2 = 0;
  double bytes_per_second_copy = 0;   ///< (read + write bytes) / s
  double bytes_per_second_triad = 0;
  double bytes_per_second_read = 0;
  double bytes_per_second_write = 0;
  double seconds_launch_overhead = 0;  ///< per kernel (0 = not measured)
  double seconds_host_eager = 0;       ///< per op dispatched by a framework (0 = not measured)
  std::vector<GemmSample> gemm;
  std::vector<AttentionSample> attention;  ///< empty = not measured

  /// Best measured GEMM throughput for a dtype (0 if none measured).
  double best_gemm_flops_per_second(DType t) const;
};

/// Reads a profile; errors name the file and the field.
Result<CalibrationProfile> load_calibration_profile(const std::string& path);
Result<CalibrationProfile> parse_calibration_profile(std::string_view toml, std::string_view origin);
/// Serializes a profile to the TOML format above (round-trips through parse).
std::string to_toml(const CalibrationProfile& profile);

}  // namespace flopscope
