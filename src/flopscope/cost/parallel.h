// A parallel layout: how one model step is split over devices (docs/parallelism.md).
//
//   devices = tp x cp x dp x pp            (ep divides dp x cp: experts are sharded over
//                                           the data-parallel ranks, as Megatron-Core does)
//   global batch = micro_batch x micro_batches x dp      (sequences per optimizer step)
//
// Ranks are placed as Megatron-LM places them (order tp, cp, dp, pp; tp innermost): a
// tensor-parallel group is tp consecutive devices, a context-parallel group has stride tp,
// a data-parallel group stride tp x cp, a pipeline group stride tp x cp x dp. With
// `gpus_per_node` devices per node, a group of n members and stride k holds
// min(n, max(1, gpus_per_node / k)) members on each node: that sets which of its
// collectives cross the network (perf/ times them on the system).
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/model/transformer_spec.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// ZeRO stage (Rajbhandari et al. 2020): 0 replicates everything, 1 shards the optimizer
/// states, 2 also the gradients, 3 (= PyTorch FSDP full shard) also the weights.
struct Parallel {
  int64_t tp = 1;              ///< tensor parallel (Megatron column/row split)
  bool sequence_parallel = false;  ///< norms, dropout and residuals split over the tp ranks
  int64_t pp = 1;              ///< pipeline stages
  int64_t virtual_stages = 1;  ///< interleaved 1F1B: model chunks per stage
  int64_t dp = 1;              ///< data parallel replicas
  int64_t cp = 1;              ///< context parallel (ring attention over the sequence)
  int64_t ep = 1;              ///< expert parallel (MoE experts over the dp x cp ranks)
  int zero = 0;                ///< 0..3
  int64_t micro_batches = 1;   ///< micro-batches per step and pipeline (gradient accumulation)
  int64_t gpus_per_node = 8;   ///< placement of ranks on nodes (from the system)

  int64_t devices() const { return tp * cp * dp * pp; }
  bool single_device() const { return devices() == 1; }
};

/// Members of a group of `size` ranks and stride `stride` that share one node.
int64_t members_per_node(int64_t size, int64_t stride, int64_t gpus_per_node);

/// Stride of each group kind under the Megatron order (tp, cp, dp, pp).
inline int64_t tp_stride(const Parallel&) { return 1; }
inline int64_t cp_stride(const Parallel& p) { return p.tp; }
inline int64_t dp_stride(const Parallel& p) { return p.tp * p.cp; }
inline int64_t pp_stride(const Parallel& p) { return p.tp * p.cp * p.dp; }

/// Checks that a layout splits this model: positive degrees at most 1e6 devices, heads
/// (and KV heads, or tp a multiple of them) divisible by tp, at most one layer per stage and chunk,
/// experts by ep, ep dividing dp x cp, a dense model with ep = 1, ZeRO 0..3, sequence
/// parallel only with tp > 1, virtual stages only with pp > 1. Errors name the flag:
/// "--tp: expected a divisor of the model's 64 attention heads, got 48".
Status validate(const Parallel& p, const TransformerSpec& spec);

/// Parameters one device holds before ZeRO sharding: its stage's layers (layers / pp) with
/// their matrices split over tp (experts also over ep), plus the embedding table (pp = 1)
/// or, on the last stage of a pipeline, the LM head (the tied embedding's copy). Norms are
/// counted as if split too (they are < 0.1% of a layer).
/// `first_stage`: the first stage of a pipeline instead (the embedding table, no head).
double device_params(const TransformerSpec& spec, const Parallel& p, bool first_stage = false);

/// "tp 8 (sp) pp 4 (v 2) dp 16 cp 1 ep 1 zero 1" for tables and notes.
std::string describe(const Parallel& p);

}  // namespace flopscope
