// The op-level timing engine: a roofline with measured efficiencies (design.md, "The one
// pipeline"). docs/timing-engine.md derives every formula and cites every constant.
//
// For one instance of an op:
//   seconds_compute = FLOPs / achievable FLOP/s     (kind- and shape-dependent, below)
//   seconds_memory  = bytes / achievable bandwidth   (copy rate x memory_fraction; GEMMs
//                     stream at gemm_stream_fraction(weight dtype) of it)
//   gpu             = max(seconds_compute, seconds_memory) + kernels * seconds_launch
//                     (+ seconds_gemm_fixed per GEMM kernel)
//   host            = eager: seconds_host_eager per kernel; compiled: seconds_host_compiled
//                     per kernel; graphs: 0
// A list of ops runs as a queue: the host issues op i after op i-1, the GPU starts it when
// both the host has issued it and the GPU has finished op i-1 (time_ops). A GPU-bound step
// hides the host entirely; a host-bound one ("CPU-bound decode") takes the host's time.
//
// GEMM (C[M,N] = A[M,K] B[K,N], `batch` of them): for each candidate tile (tm, tn) the
// engine counts tiles = ceil(M/tm) ceil(N/tn) batch (tile quantization), splits K across
// idle units when tiles < units (split-K), runs waves = ceil(CTAs / units) (wave
// quantization), each CTA doing 2 tm tn (K/split + k_pipeline_fill) FLOPs at
//   unit rate = peak(dtype) * gemm_ceiling(dtype) / units * min(1, reuse(tm,tn)/reuse(128,256))
// where reuse(tm,tn) = tm tn / (tm + tn) is the tile's operand reuse. The tile with the
// least time wins, as a cuBLAS heuristic would pick it.
//
// Attention (flash): query rows in blocks of 128 (decode packs the query heads of a KV group
// into one 16-row block), keys in blocks of 128. One CTA per (batch, head, query block) in the
// forward, per key block in the backward; each visits the key (query) blocks its mask lets
// it see, a partly masked block costing 1 + attention_mask_overhead, plus
// attention_cta_overhead blocks for loading Q and writing O. A block takes the longer of its
// matmuls at peak * attention_{forward,backward} and its softmax at the generation's
// special-function rate (exp_per_flop * peak * attention_softmax_fraction): why head_dim 64
// runs slower per FLOP than 128 on Hopper. CTAs fill the units in waves (equal CTAs) or
// longest-first (causal). The backward adds the FlashAttention-2/3 pre- and post-processing
// kernels (dO.O row sums, the fp32 dQ accumulator's zeroing and conversion) as bytes.
//
// Collectives: the bus-bandwidth model of nccl-tests. All-reduce moves 2(n-1)/n of the buffer
// per device, all-gather / reduce-scatter / all-to-all (n-1)/n, a send the message. With a
// system's network (set_network; hw/system.h) a group inside a node runs at the node's
// measured busbw plus its small-message latency; a group across nodes with g members per node
// at min(intra busbw, g x the node network's busbw / gpus per node), its all-to-all sending
// the (n - g)/n that leaves the node over the network. Without one: the hardware's
// interconnect x interconnect_fraction plus one seconds_collective_step per ring step.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "flopscope/cost/op.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/system.h"
#include "flopscope/perf/efficiency.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// How the framework issues kernels.
enum class Software {
  kEager,     ///< PyTorch eager: one host dispatch per op, overlapped with the GPU
  kGraphs,    ///< CUDA graphs: no host cost, a small per-kernel cost
  kCompiled,  ///< torch.compile: pointwise ops fused into neighbouring kernels
  kCount
};

/// "eager" -> Software::kEager ("graphs", "compiled"); `field` names the source in errors.
Result<Software> parse_software(std::string_view text, std::string_view field = "--software");
std::string_view software_name(Software s);

/// What limits an op.
enum class Bound { kCompute, kMemory, kOverhead, kCommunication, kCount };
std::string_view bound_name(Bound b);

/// Time of ONE instance of an op (the caller multiplies by op.count).
struct OpTiming {
  double seconds = 0;           ///< GPU time of the op: what a kernel benchmark (CUDA events) measures
  double seconds_compute = 0;   ///< FLOPs at the achievable rate
  double seconds_memory = 0;    ///< bytes at the achievable bandwidth (or interconnect)
  double seconds_overhead = 0;  ///< seconds - max(compute, memory): launch and fixed kernel costs
  double seconds_host = 0;      ///< host time to issue it (eager dispatch); overlaps the GPU in a list
  double seconds_stream = 0;    ///< GPU time inside a list of ops (back-to-back kernel cost)
  Bound bound = Bound::kCompute;
};

/// How the engine runs a GEMM: the tile it picked and what quantization costs.
struct GemmPlan {
  int64_t tile_m = 0, tile_n = 0;
  int64_t tiles = 0;    ///< output tiles (times batch)
  int64_t split_k = 1;  ///< K slices per tile (split-K when tiles < units)
  int64_t waves = 0;    ///< ceil(tiles * split_k / units)
  double seconds_compute = 0;
  /// seconds_compute at the large-GEMM ceiling with no quantization / seconds_compute:
  /// the shape's efficiency relative to a big square GEMM (1 = no loss).
  double efficiency_shape = 0;
};

/// Totals over an op list (each op times its count).
struct OpListTiming {
  /// seconds: the whole list through the host/GPU queue; seconds_gpu and seconds_host the
  /// sums of each side; seconds_overhead includes the GPU idle time a slow host causes.
  double seconds = 0, seconds_compute = 0, seconds_memory = 0, seconds_overhead = 0;
  double seconds_gpu = 0, seconds_host = 0;
  double flops = 0, bytes = 0;
  int64_t kernels = 0;  ///< kernel launches (after fusion)
  std::array<double, static_cast<size_t>(OpKind::kCount)> seconds_by_kind{};
  std::array<double, static_cast<size_t>(Bound::kCount)> seconds_by_bound{};
};

class TimingEngine {
 public:
  /// Efficiencies from data/hardware/efficiency.toml for `hardware.id`; a calibration
  /// profile (may be null) replaces the GEMM ceilings, the bandwidth and the launch cost
  /// with what it measured. The engine copies what it needs: arguments may die after.
  TimingEngine(const Hardware& hardware, const CalibrationProfile* profile_or_null, Software software);
  /// The same with explicit efficiencies (tests, user overrides).
  TimingEngine(const Hardware& hardware, const CalibrationProfile* profile_or_null, Software software,
               const Efficiency& efficiency);

  /// Whether this hardware can run the op: a compute dtype it lacks gives
  /// "hardware 'v100-sxm' has no fp8 support (see flopscope hardware v100-sxm)".
  Status check(const Op& op) const;

  /// Time of one instance of `op` (allocation-free).
  OpTiming time(const Op& op) const;

  /// The tile plan for a GEMM shape (what `time` uses for OpKind::kGemm).
  GemmPlan plan_gemm(const GemmShape& shape, DType dtype) const;

  /// Large-GEMM FLOP/s the engine assumes for a dtype (peak * ceiling).
  double flops_per_second_gemm(DType dtype) const;
  /// Achievable memory bandwidth (bytes/s).
  double bytes_per_second_memory() const { return bytes_per_second_memory_; }
  /// GPU-side cost of one kernel under the chosen software.
  double seconds_launch() const;
  /// GPU-side cost of one kernel back to back with others (a CUDA graph, or an eager stream
  /// whose host keeps ahead): what a list of ops pays per kernel (time_ops).
  double seconds_launch_stream() const;
  /// Kernels an op launches under the chosen software (0 when fused away).
  int64_t kernels(const Op& op) const;

  /// Times collectives on this network (a system's; hw/system.h) instead of the device's
  /// interconnect figure alone.
  void set_network(const Network& network) { network_ = network; has_network_ = true; }
  bool has_network() const { return has_network_; }
  const Network& network() const { return network_; }
  /// Seconds of one collective (what `time` reports for an OpKind::kCollective op).
  double collective_seconds(const CollectiveShape& c) const;

  const Efficiency& efficiency() const { return eff_; }
  Software software() const { return software_; }
  /// The large-GEMM ceiling for a dtype (from the profile when it measured that dtype).
  double gemm_ceiling(DType dtype) const { return gemm_ceiling_[static_cast<size_t>(dtype)]; }

 private:
  void init(const CalibrationProfile* profile);
  void fit_attention(const CalibrationProfile& profile);
  double gemm_compute_seconds(const GemmShape& s, DType dtype, GemmPlan* plan) const;
  double attention_compute_seconds(const Op& op) const;
  double attention_aux_bytes(const Op& op) const;

  Efficiency eff_;
  Network network_;
  bool has_network_ = false;
  Software software_;
  std::array<double, static_cast<size_t>(DType::kCount)> peak_{};
  std::array<double, static_cast<size_t>(DType::kCount)> gemm_ceiling_{};
  std::string hardware_id_;
  int64_t units_ = 0;
  double bytes_per_second_memory_ = 0;
  std::array<double, static_cast<size_t>(DType::kCount)> stream_fraction_{};
  std::array<double, static_cast<size_t>(DType::kCount)> peak_sparse_{};  ///< 2:4 sparse peaks (0 = none)
  double bytes_per_second_interconnect_ = 0;
  double seconds_launch_ = 0;
  bool is_cpu_ = false;
};

/// Times every op of a list (value * count) and sums by kind and by bound.
OpListTiming time_ops(const TimingEngine& engine, const OpList& ops);

}  // namespace flopscope
