// The many-device layout the analyses use when nobody gives one (docs/parallelism.md,
// "Analyses"): job, rank, transition and optimal run a training job on N devices through
// predict_training (perf/parallel.h) with the fastest of a small set of layouts that fit:
//
//   tp  1, 2, 4, 8 (at most the devices of one node; dividing the heads), sequence parallel
//       with tp > 1
//   pp  1, 2, 4, ... (at most one layer per stage; tp x pp dividing the devices)
//   ZeRO-1 (Megatron's distributed optimizer), the workload's recomputation and micro batch
//   global batch: the one asked for, rounded up to a multiple of micro batch x dp; 0 gives
//                 micro batch x dp x pp (pp micro-batches per pipeline)
//
// and an inference replica on the fewest devices: the smallest tp of 1, 2, 4, 8 whose weights
// and KV cache fit (perf/predict.h).
#pragma once

#include <cstdint>
#include <vector>

#include "flopscope/hw/system.h"
#include "flopscope/perf/parallel.h"

namespace flopscope {

/// Tensor-parallel degrees to try, smallest first: 1, 2, 4, ... up to min(gpus, gpus_per_node).
std::vector<int64_t> tp_candidates(int64_t gpus, int64_t gpus_per_node);

/// The fastest training layout (tokens per second) that fits on `gpus` devices of `system`
/// (see the header; a few dozen predictions);
/// when none fits, the one with the least memory on its fullest device (fits = false).
/// `engine` should carry the system's network. Errors: no tp x pp divides the model and gpus.
Result<ParallelPrediction> fitting_training_layout(const TransformerSpec& spec, const Workload& workload,
                                                   int64_t gpus, int64_t global_batch, const System& system,
                                                   const Hardware& hardware, const TimingEngine& engine,
                                                   const MemoryOptions& memory_options);

/// A Llama-shaped dense model of about `params` parameters (width d, a multiple of 1024 from
/// 4096 on so that its heads split over tp 8, d/128 layers and heads, SwiGLU 8/3 d, 32k
/// vocabulary): what scaling analyses time when they only know a size.
TransformerSpec llama_shaped(double params);

/// MFU of training a Llama-shaped model of `params` on `gpus` devices of the hardware's
/// reference system (fitting_training_layout, micro batch 1 x 4096 tokens, a global batch of
/// about 4M tokens). fits = false when no layout holds it.
struct ClusterMfu {
  double mfu = 0;
  bool fits = false;
  int64_t gpus = 0;
  std::string layout;  ///< describe(Parallel)
  std::string system;  ///< system id
};
Result<ClusterMfu> cluster_mfu(const Hardware& hardware, double params, int64_t gpus);

/// The smallest power-of-two cluster (at least one node) on which a Llama-shaped model of
/// `params` fits and `flops` take at most `seconds_limit` at its predicted MFU; capped at
/// 65536 devices (then the largest tried).
Result<ClusterMfu> default_cluster(const Hardware& hardware, double params, double flops, double seconds_limit);

}  // namespace flopscope
