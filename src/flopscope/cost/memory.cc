#include "flopscope/cost/memory.h"

#include <algorithm>

#include "flopscope/cost/params.h"

namespace flopscope {

namespace {
constexpr double kActivationBytes = 2.0;  // 16-bit activations, as in Korthikanti et al.
}

double weight_bytes(const TransformerSpec& s, DType dtype, int64_t group) {
  ParamCounts c = count_params(s);
  double linear = static_cast<double>(c.attention + c.mlp);
  double rest = static_cast<double>(c.total) - linear;
  double per = bytes_per_element(dtype);
  if (dtype == DType::kINT4) per += 2.0 / static_cast<double>(std::max<int64_t>(group, 1));
  bool quantized = dtype == DType::kINT4 || dtype == DType::kINT8 || dtype == DType::kFP8;
  double rest_per = quantized ? 2.0 : bytes_per_element(dtype);
  return linear * per + rest * rest_per;
}

double kv_cache_bytes_per_token(const TransformerSpec& s, DType kv) {
  double per_layer = s.attention == AttentionKind::kMla
                         ? static_cast<double>(s.mla.kv_lora_rank + s.mla.qk_rope_head_dim)
                         : static_cast<double>(2 * s.num_kv_heads * s.head_dim);
  if (!s.causal) return 0;
  return per_layer * static_cast<double>(s.num_layers) * bytes_per_element(kv);
}

double kv_cache_bytes(const TransformerSpec& s, int64_t batch, int64_t context, DType kv) {
  if (!s.causal || s.num_layers == 0) return 0;
  double per_layer_token = kv_cache_bytes_per_token(s, kv) / static_cast<double>(s.num_layers);
  double tokens = 0;
  for (const auto& l : s.layers) {
    tokens += static_cast<double>(l.sliding_window > 0 ? std::min(context, l.sliding_window) : context);
  }
  return per_layer_token * tokens * static_cast<double>(batch);
}

double activation_bytes_per_layer(const TransformerSpec& s, int64_t batch, int64_t seq, bool moe_layer,
                                  const MemoryOptions& o) {
  const double sb = static_cast<double>(seq * batch);
  const double h = static_cast<double>(s.hidden_size);
  const double t = static_cast<double>(std::max<int64_t>(o.tensor_parallel, 1));
  const double e = kActivationBytes;
  if (o.recompute == Recompute::kFull) return e * sb * h / (o.sequence_parallel ? t : 1.0);

  double qw = static_cast<double>(s.attention == AttentionKind::kMla ? s.num_heads * s.mla.qk_head_dim() : s.q_width());
  double kvw = static_cast<double>(s.attention == AttentionKind::kMla ? s.num_heads * s.mla.qk_head_dim() : s.kv_width());
  double vw = static_cast<double>(s.attention == AttentionKind::kMla ? s.num_heads * s.mla.v_head_dim : s.kv_width());
  double ow = static_cast<double>(s.attention == AttentionKind::kMla ? s.num_heads * s.mla.v_head_dim : s.q_width());
  double mask = o.dropout ? 1.0 : 0.0;

  // Parts that tensor parallelism splits (inside attention and the MLP) and parts it does
  // not (norm inputs, the inputs of the QKV and first MLP projections) unless sequence
  // parallelism is on.
  double replicated = 0, split = 0;
  // Eager unfused code (transformers' modules, plain PyTorch) keeps more than fused kernels.
  const bool eager = o.modules != Modules::kFused;
  // Norm inputs; a composite RMSNorm keeps its fp32 upcast (4 B) and the normalized tensor.
  double norm_bytes = eager && s.norm == NormKind::kRmsNorm ? 4.0 + e : e;
  replicated += static_cast<double>(s.norms_per_layer) * norm_bytes * sb * h;
  replicated += e * sb * h;                                           // QKV projection input
  split += e * sb * (qw + kvw);                                       // Q, K for Q K^T
  split += e * sb * vw;                                               // V
  split += e * sb * ow;                                               // input to the output projection
  if (eager) split += e * sb * ow;  // the attention output and its transposed copy both stay
  replicated += mask * sb * h;                                        // attention dropout mask
  // The attention core (Q K^T, softmax, softmax dropout, attention over V) is what selective
  // recomputation checkpoints (Megatron's CoreAttention under tensor_parallel.checkpoint):
  // its inputs Q, K, V and its output (the output projection's input) stay, everything it
  // keeps inside goes, be it the s^2 terms of unfused attention or flash attention's
  // log-sum-exp.
  if (o.recompute == Recompute::kNone) {
    if (!o.flash_attention) {
      double a = static_cast<double>(s.num_heads);
      split += (e + mask + (o.dropout ? e : 0)) * a * static_cast<double>(seq) * sb;  // softmax out, mask, dropout out
    } else {
      split += 4.0 * sb * static_cast<double>(s.num_heads);  // fp32 log-sum-exp per head and token
    }
  }
  replicated += e * sb * h;  // MLP input
  auto mlp_terms = [&](double inter, double rows_factor) {
    // gate, up, act (fused kernels) | act in, act out; unfused eager also keeps act(gate).
    double per = s.mlp == MlpKind::kGated ? (eager ? 4 : 3) * e * inter : 2 * e * inter;
    return per * sb * rows_factor;
  };
  if (moe_layer && s.moe.active()) {
    split += mlp_terms(static_cast<double>(s.moe.expert_intermediate_size), static_cast<double>(s.moe.experts_per_token));
    split += e * sb * static_cast<double>(s.moe.experts_per_token) * h;  // dispatched expert inputs
    split += 4.0 * sb * static_cast<double>(s.moe.num_experts);          // fp32 router probabilities
    if (s.moe.shared_intermediate_size > 0) split += mlp_terms(static_cast<double>(s.moe.shared_intermediate_size), 1);
  } else {
    split += mlp_terms(static_cast<double>(s.intermediate_size), 1);
  }
  replicated += mask * sb * h;  // MLP dropout mask
  return replicated / (o.sequence_parallel ? t : 1.0) + split / t;
}

void apply_workload(const Workload& w, MemoryOptions& mo) {
  mo.recompute = w.recompute;
  mo.mixed_precision = w.mixed_precision;
  mo.flash_attention = w.flash_attention;
  mo.modules = w.modules;
}

MemoryReport training_memory(const TransformerSpec& s, int64_t batch, int64_t seq, const MemoryOptions& o) {
  MemoryReport r;
  const double params = static_cast<double>(count_params(s).total);
  const double t = static_cast<double>(std::max<int64_t>(o.tensor_parallel, 1));
  r.bytes_weights = params * 2 / t;
  r.bytes_gradients = params * 2 / t;
  r.bytes_optimizer = params * (o.mixed_precision ? 12 : 4) / t;
  // Full recomputation (Megatron's "uniform" method, one layer per checkpoint) keeps each
  // layer's input; during a layer's backward its forward runs again and that layer's whole
  // working set (what recompute none keeps) is alive until its backward ends. Dropout masks
  // are regenerated from the saved RNG state, not kept.
  double kept = 0, largest = 0;
  for (const auto& l : s.layers) {
    double a = activation_bytes_per_layer(s, batch, seq, l.moe, o);
    kept += a;
    if (o.recompute == Recompute::kFull) {
      MemoryOptions none = o;
      none.recompute = Recompute::kNone;
      largest = std::max(largest, activation_bytes_per_layer(s, batch, seq, l.moe, none));
    }
  }
  r.bytes_activations_per_layer = s.num_layers ? kept / static_cast<double>(s.num_layers) : 0;
  r.bytes_activations_layers = kept;
  r.bytes_activations_recompute = largest;
  // Outside the layers (Korthikanti et al. sec. 4.3): the embedding dropout mask (1 B), the
  // final norm's input and the LM head's input (the normalized hidden state). The embedding
  // output itself is the first layer's norm input, counted there. Sequence parallelism keeps
  // each as its 1/t shard (Megatron saves the LM head input before the all-gather).
  // transformers: the final norm keeps its fp32 input and normalized tensor, the LM head its
  // input (4 + 2 + 2 bytes per element).
  const double sbh = static_cast<double>(batch * seq * s.hidden_size);
  double outside = o.dropout ? 1.0 : 0.0;
  if (o.modules != Modules::kFused && s.norm == NormKind::kRmsNorm) {
    outside += 8.0;
  } else {
    if (s.final_norm) outside += kActivationBytes;
    if (s.embedding_norm) outside += kActivationBytes;  // bert: the norm after the embeddings
    if (s.causal) outside += kActivationBytes;          // LM head input
  }
  r.bytes_activations_outside = outside * sbh / (o.sequence_parallel ? t : 1.0);
  r.bytes_activations = kept + largest + r.bytes_activations_outside;
  // Logits at the start of the backward. transformers: the 16-bit logits (returned), the
  // saved fp32 log-softmax output, the fp32 NLL gradient and the fp32 log-softmax gradient
  // being written: 2 + 4 + 4 + 4 bytes per logit. Fused: 16-bit logits and one fp32 copy.
  double per_logit = o.modules == Modules::kTransformers ? 2 + 4 + 4 + 4 : 2 + 4;
  if (s.causal) r.bytes_logits = static_cast<double>(batch * seq * s.vocab_size) * per_logit / t;
  r.bytes_runtime_overhead = o.bytes_runtime_overhead;
  // Gradients are set to None between steps: they grow during the backward while the
  // activations are freed, so the peak is at its start or its end.
  r.bytes_peak_allocated = r.bytes_weights + r.bytes_optimizer +
                           std::max(r.bytes_activations + r.bytes_logits, r.bytes_gradients);
  r.bytes_total = r.bytes_peak_allocated + r.bytes_runtime_overhead;
  return r;
}

MemoryReport inference_memory(const TransformerSpec& s, int64_t batch, int64_t context, const MemoryOptions& o) {
  MemoryReport r;
  const double t = static_cast<double>(std::max<int64_t>(o.tensor_parallel, 1));
  r.bytes_weights = weight_bytes(s, o.weight_dtype, o.int4_group_size) / t;
  r.bytes_kv_cache = kv_cache_bytes(s, batch, context, o.kv_dtype) / t;
  r.bytes_kv_cache_per_token = kv_cache_bytes_per_token(s, o.kv_dtype);
  // Working set of the prefill of one layer at a time: hidden state, residual, Q/K/V and the
  // MLP intermediates for batch x context tokens; nothing is kept across layers.
  double tokens = static_cast<double>(batch * context);
  double inter = static_cast<double>(s.moe.active() ? std::max(s.intermediate_size, s.moe.expert_intermediate_size * s.moe.experts_per_token)
                                                    : s.intermediate_size);
  double width = 3.0 * static_cast<double>(s.hidden_size) + static_cast<double>(s.q_width() + 2 * s.kv_width()) +
                 (s.mlp == MlpKind::kGated ? 3.0 : 2.0) * inter;
  r.bytes_activations = tokens * width * bytes_per_element(o.activation_dtype) / t;
  if (s.causal) r.bytes_logits = static_cast<double>(batch * s.vocab_size) * 4;  // last-token logits, fp32
  r.bytes_runtime_overhead = o.bytes_runtime_overhead;
  r.bytes_peak_allocated = r.bytes_weights + r.bytes_kv_cache + r.bytes_activations + r.bytes_logits;
  r.bytes_total = r.bytes_peak_allocated + r.bytes_runtime_overhead;
  return r;
}

}  // namespace flopscope
