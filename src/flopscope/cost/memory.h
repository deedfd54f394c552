// Memory of a transformer for training and inference, in bytes.
//
// Weights: parameters x bytes of the weight dtype. Quantized formats (fp8, int8, int4)
// apply to the linear layers (attention, MLP, experts) as GPTQ/AWQ/FP8 checkpoints store
// them; embeddings, LM head and norms stay 16-bit. int4 adds one fp16 scale per group of
// `group_size` weights (16/group_size bits per weight).
// Training (one device, no sharding): bf16 weights and gradients; AdamW states in mixed
// precision are fp32 master weights, m and v (12 bytes/param; Rajbhandari et al. 2020,
// ZeRO, sec. 3.1: 16 bytes/param with the 2-byte weights and gradients). In pure bf16,
// m and v are bf16 (4 bytes/param).
// Activations per layer after Korthikanti et al. 2022 ("Reducing Activation Recomputation
// in Large Transformer Models", sec. 4.1, Table 2), generalised to GQA and gated MLPs:
// the 16-bit tensors each layer keeps for backward, plus 1-byte dropout masks when the
// config uses dropout, plus the 5*a*s^2*b score terms when attention is not fused.
// For the GPT of that paper (MHA, 4h MLP, dropout, unfused) it gives s*b*h*(34 + 5*a*s/h).
//   none:      everything above
//   selective: the attention core (Q K^T, softmax, its dropout, attention over V) is
//              recomputed, as Megatron checkpoints CoreAttention: the 5*a*s^2*b terms (or
//              flash attention's log-sum-exp) go, Q, K, V and the core's output stay
//   full:      only each layer's input (2*s*b*h) is kept, plus one layer's whole working
//              set while its backward recomputes it (Korthikanti's 2*s*b*h*L leaves it out)
// Tensor parallelism t splits the attention and MLP parts (24 of the 34); sequence
// parallelism splits the rest too (norm inputs, the s*b*h dropout masks, the layer input
// kept by full recomputation).
// Outside the layers: the embedding dropout mask, final norm and LM head inputs (sec. 4.3).
// Dropout: MemoryOptions::dropout, which front ends set from TransformerSpec::
// trains_with_dropout() (the config's dropout keys) unless the user overrides it.
// KV cache: 2 x kv_heads x head_dim per token per layer (MLA: kv_lora_rank +
// qk_rope_head_dim); a sliding-window layer holds at most `window` tokens.
// Runtime allowance: CUDA context, cuBLAS workspace and allocator slack, settable (default
// 1 GiB; docs/formulas.md says why).
#pragma once

#include <cstdint>

#include "flopscope/cost/workload.h"
#include "flopscope/model/transformer_spec.h"

namespace flopscope {

struct MemoryOptions {
  DType weight_dtype = DType::kBF16;
  DType kv_dtype = DType::kBF16;
  DType activation_dtype = DType::kBF16;
  int64_t int4_group_size = 128;
  Recompute recompute = Recompute::kNone;
  bool flash_attention = true;
  bool mixed_precision = true;  ///< train: fp32 master weights and Adam states
  int64_t tensor_parallel = 1;
  bool sequence_parallel = false;
  double bytes_runtime_overhead = 1024.0 * 1024 * 1024;  ///< CUDA context + workspace allowance
  bool dropout = false;  ///< keep 1-byte dropout masks (set from the config when it trains with dropout)
  /// What eager autograd saves (kPyTorch, kTransformers): a composite RMSNorm keeps its fp32
  /// upcast input and the normalized 16-bit tensor; act(gate) * up keeps gate, up and
  /// act(gate); attention keeps its output and the transposed copy o_proj reads.
  /// kTransformers adds the fp32 logits of its loss; kFused keeps what fused kernels need.
  /// Default kFused: the tensors Korthikanti et al. count (Megatron's fused kernels); predict
  /// passes the workload's modules.
  Modules modules = Modules::kFused;
};

/// Sets the options a workload decides (recomputation, mixed precision, flash attention,
/// the module set) on `mo`, keeping the rest (dtypes, tensor split, overhead) as they are.
void apply_workload(const Workload& w, MemoryOptions& mo);

struct MemoryReport {
  double bytes_weights = 0;
  double bytes_gradients = 0;
  double bytes_optimizer = 0;
  double bytes_activations = 0;       ///< train: all layers kept for backward; infer: peak working set
  double bytes_activations_per_layer = 0;
  double bytes_activations_layers = 0;     ///< train: what the layers keep, summed (per_layer x layers)
  double bytes_activations_recompute = 0;  ///< train, full recompute: one layer's working set during its backward
  double bytes_activations_outside = 0;    ///< train: embedding dropout mask, final norm and LM head inputs
  double bytes_kv_cache = 0;          ///< infer: for batch x context
  double bytes_kv_cache_per_token = 0;  ///< all layers, one token, full-attention layers
  double bytes_logits = 0;             ///< train: logits and loss tensors alive at the start of backward
  double bytes_runtime_overhead = 0;
  /// Peak of allocated tensors (what torch.cuda.max_memory_allocated reports). Train: weights
  /// and optimizer states throughout, plus the larger of (activations + logits) at the start
  /// of the backward and the full gradients at its end (gradients set to None between steps).
  double bytes_peak_allocated = 0;
  double bytes_total = 0;              ///< bytes_peak_allocated + runtime overhead: what must fit
};

/// Bytes of the weights at a storage dtype (see header comment for what is quantized).
double weight_bytes(const TransformerSpec& spec, DType dtype, int64_t int4_group_size = 128);

/// KV-cache bytes per token summed over layers, ignoring windows (the figure people quote).
double kv_cache_bytes_per_token(const TransformerSpec& spec, DType kv_dtype);
/// KV-cache bytes for `batch` sequences of `context` tokens, windows applied.
double kv_cache_bytes(const TransformerSpec& spec, int64_t batch, int64_t context, DType kv_dtype);

/// Activation bytes one layer keeps for backward (Korthikanti et al. 2022, generalised).
double activation_bytes_per_layer(const TransformerSpec& spec, int64_t batch, int64_t seq, bool moe_layer,
                                  const MemoryOptions& options);

/// Training memory for micro-batch x seq on one device.
MemoryReport training_memory(const TransformerSpec& spec, int64_t batch, int64_t seq, const MemoryOptions& options);
/// Inference memory: weights, KV cache for batch x context, the prefill working set.
MemoryReport inference_memory(const TransformerSpec& spec, int64_t batch, int64_t context, const MemoryOptions& options);

}  // namespace flopscope
