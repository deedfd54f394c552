// Whole-workload predictions: a transformer and a workload are lowered to the op list
// (cost/lower_transformer.h), every op is timed by the engine, and the totals give time,
// throughput and MFU. Analyses call this; they never re-derive FLOPs or times.
//
// MFU follows PaLM (Chowdhery et al. 2022, appendix B): model FLOPs (matmuls, attention
// included, causal pairs, no recomputation) per second over the dense peak of the compute
// dtype; HFU uses the hardware FLOPs (recomputation included).
#pragma once

#include <string>
#include <vector>

#include "flopscope/cost/flops.h"
#include "flopscope/cost/memory.h"
#include "flopscope/cost/workload.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/perf/timing_engine.h"

namespace flopscope {

struct OpRow {
  const Op* op = nullptr;
  double seconds = 0;  ///< all instances (time x count)
  Bound bound = Bound::kCompute;
};

struct Prediction {
  Workload workload;
  OpList ops;
  OpListTiming timing;
  FlopReport flops;
  std::vector<OpRow> rows;          ///< one per op, in op-list order
  double seconds = 0;               ///< the whole step (prefill, one decode step, one train step)
  double tokens_per_second = 0;     ///< tokens processed (decode: generated) per second
  double mfu = 0;                   ///< model FLOPs / (seconds x dense peak of the dtype)
  double hfu = 0;                   ///< hardware FLOPs / (seconds x dense peak)
  MemoryReport memory;              ///< train: training memory; otherwise inference memory
  bool fits = true;                 ///< memory.bytes_total <= device memory
  /// Inference across devices (workload.parallel tp, pp; docs/parallelism.md, "Inference
  /// across devices"). `ops`, `timing`, `flops`, `rows` and `memory` are one device's (the
  /// last pipeline stage's, the fullest one for memory); `seconds` is the latency of one
  /// request through every stage, `tokens_per_second` the throughput of a full pipeline.
  double seconds_stage = 0;          ///< one stage's time (its pipeline send included); = seconds at pp 1
  double seconds_communication = 0;  ///< collectives on the request's path (tp exchanges of every stage, sends)
};

/// Predicts one step on one device, or an inference step (prefill, decode) on the
/// workload's tp x pp devices:
///   seconds           = pp x (stage - send) + (pp - 1) x send      (one request crosses every stage)
///   tokens_per_second = tokens / stage                             (pp micro-batches in flight)
/// Memory per device: weights / tp of the fullest stage (layers / pp, rounded up, plus the
/// embedding or the head), KV cache / tp (KV heads replicated past tp) of that stage's layers.
/// Errors: a dtype the hardware lacks, bad sizes, a layout that does not split the model
/// (validate(Parallel, spec)), a training layout (perf/parallel.h predicts those).
Result<Prediction> predict(const TransformerSpec& spec, const Workload& workload, const Hardware& hardware,
                           const TimingEngine& engine);

/// Inference memory of one device of a tp x pp replica (the fullest stage; see predict()).
/// memory --pp and report use it; predict() reports it.
MemoryReport inference_memory_per_device(const TransformerSpec& spec, int64_t batch, int64_t context,
                                         const MemoryOptions& options, const Parallel& parallel);

/// The rows sorted by time, longest first, at most `n`.
std::vector<OpRow> top_ops(const Prediction& p, size_t n);

/// The default software stack of a phase (issue 3): decode runs under CUDA graphs as serving
/// engines do; prefill and training run PyTorch eager with fused SDPA attention.
Software default_software(Phase phase);

}  // namespace flopscope
