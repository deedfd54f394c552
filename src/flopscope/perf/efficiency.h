// Efficiency constants of the timing engine: what fraction of a datasheet peak real kernels
// reach, and the fixed per-kernel and per-op costs. One set per hardware id, each constant
// with its source in data/hardware/efficiency.toml (embedded); docs/timing-engine.md
// explains every one.
//
// File format (TOML):
//   [efficiency.default]          every key below; the fallback for any hardware
//   [efficiency.<family>]         any subset, with `applies_to = ["h100-sxm", ...]`: what a
//                                 kernel generation shares (Hopper, Ampere); over the default
//   [efficiency.<hardware id>]    any subset; over its family and the default
//
//   gemm_ceiling                  fraction of dense peak cuBLAS reaches on large GEMMs
//   gemm_ceiling_<dtype>          the same for one dtype (fp8, tf32, fp32, ...)
//   memory_fraction               stream-copy bandwidth / datasheet bandwidth
//   attention_forward             flash-attention forward FLOP/s / dense peak (long sequences)
//   attention_backward            flash-attention backward FLOP/s / dense peak
//   interconnect_fraction         collective bus bandwidth / per-direction link bandwidth
//   seconds_launch                GPU-side cost of one kernel (launch + prologue)
//   seconds_launch_stream         the same for kernels back to back in a stream: a CUDA graph,
//                                 or eager execution with the host ahead of the GPU
//   seconds_host_eager            host cost of one framework op in eager mode
//   seconds_host_compiled         host cost of one kernel launched by compiled code
//   seconds_collective_step       latency of one step of a ring collective
//   k_pipeline_fill               K elements of work lost per tile to pipeline fill/drain
//   seconds_gemm_fixed            per-GEMM-kernel cost beyond the launch (prologue, epilogue,
//                                 split-K reduction), paid once per GEMM kernel
//   gemm_stream_fraction          achievable memory bandwidth of a memory-bound GEMM / copy
//   gemm_stream_fraction_<dtype>  the same per weight-compute dtype (fp8, int8, int4)
//   attention_softmax_fraction    softmax throughput (score elements/s) / (dense peak x
//                                 exp-to-FLOP ratio of the generation)
//   exp_per_flop                  special-function (exp) ops per tensor FLOP per SM and clock
//   attention_cta_overhead        blocks of work per attention CTA spent loading Q / writing O
//   attention_cta_overhead_backward  the same for a backward CTA (loads K, V; writes dK, dV)
//   attention_mask_overhead       extra blocks of work per partly masked (diagonal) block
//   sustained_clock_fraction      tensor-core clock of a long steady load (training steps) at the
//                                 board's power limit / the clock short kernel benchmarks run at
//   strided_elementwise_fraction  bandwidth of PyTorch's non-vectorized elementwise kernel (strided
//                                 inputs, Op::strided) / the achievable memory bandwidth
#pragma once

#include <array>
#include <string_view>

#include "flopscope/util/dtype.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Efficiencies and fixed costs for one hardware (fractions in [0, 1], seconds, elements).
struct Efficiency {
  double gemm_ceiling = 0.75;
  /// Per-dtype override of `gemm_ceiling`; 0 = use `gemm_ceiling`.
  std::array<double, static_cast<size_t>(DType::kCount)> gemm_ceiling_by_dtype{};
  double memory_fraction = 0.85;
  double attention_forward = 0.35;
  double attention_backward = 0.25;
  double interconnect_fraction = 0.8;
  double seconds_launch = 4e-6;
  double seconds_launch_stream = 1e-6;
  double seconds_host_eager = 1e-5;
  double seconds_host_compiled = 4e-6;
  double seconds_collective_step = 5e-6;
  double k_pipeline_fill = 128;
  double seconds_gemm_fixed = 0;
  double gemm_stream_fraction = 1.0;
  /// Per-dtype override of `gemm_stream_fraction`; 0 = use `gemm_stream_fraction`.
  std::array<double, static_cast<size_t>(DType::kCount)> gemm_stream_fraction_by_dtype{};
  double attention_softmax_fraction = 0.5;
  double exp_per_flop = 1.0 / 256;
  double attention_cta_overhead = 1.0;
  double attention_cta_overhead_backward = 2.0;
  double attention_mask_overhead = 0.0;
  double sustained_clock_fraction = 1.0;
  double strided_elementwise_fraction = 1.0;

  /// The large-GEMM ceiling for a dtype (the per-dtype value when given).
  double gemm_ceiling_for(DType t) const {
    double v = gemm_ceiling_by_dtype[static_cast<size_t>(t)];
    return v > 0 ? v : gemm_ceiling;
  }
  /// The memory-bound GEMM's fraction of copy bandwidth for a weight dtype.
  double gemm_stream_fraction_for(DType t) const {
    double v = gemm_stream_fraction_by_dtype[static_cast<size_t>(t)];
    return v > 0 ? v : gemm_stream_fraction;
  }
};

/// The efficiencies for a hardware id from the embedded data/hardware/efficiency.toml, or
/// from the file $FLOPSCOPE_EFFICIENCY names when set (the fit in validation/ uses it):
/// [efficiency.<id>] over its family over [efficiency.default]; an id without a table gets
/// its family's values or the default.
Efficiency default_efficiency(std::string_view hardware_id);
/// The error of reading $FLOPSCOPE_EFFICIENCY (ok when unset or valid); the CLI reports it.
Status efficiency_override_status();

/// Parses an efficiency file (format above) and returns the entry for `hardware_id`.
/// `origin` names the text in errors: "efficiency.toml: efficiency.h100-sxm.gemm_ceiling:
/// expected a number in (0, 1], got 1.5".
Result<Efficiency> parse_efficiency(std::string_view toml, std::string_view origin, std::string_view hardware_id);

}  // namespace flopscope
