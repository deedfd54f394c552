// TransformerSpec: the architecture of a transformer as the counting and timing stages need
// it, independent of where it came from (HF config.json, catalog, GGUF metadata).
//
// Every family's config keys are mapped onto these fields by hf_config_loader.cc; the
// parameter count of a spec must equal what the reference implementation (transformers'
// ...ForCausalLM, or the base model for encoders) instantiates for the same config.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/util/result.h"

namespace flopscope {

/// MLP shape: gated (gate, up, down: SwiGLU / GeGLU) or plain (up, down: GELU).
enum class MlpKind { kGated, kPlain };
/// Norm: LayerNorm has weight and bias; RMSNorm has weight only.
enum class NormKind { kLayerNorm, kRmsNorm };
/// Attention: standard multi-head (MHA / GQA / MQA by kv heads) or DeepSeek's multi-head
/// latent attention (MLA), which caches a compressed latent instead of K and V.
enum class AttentionKind { kStandard, kMla };

/// Mixture of experts (zero experts = dense model).
struct MoeSpec {
  int64_t num_experts = 0;               ///< routed experts per MoE layer
  int64_t experts_per_token = 0;         ///< top-k
  int64_t expert_intermediate_size = 0;  ///< intermediate size of one routed expert
  int64_t shared_intermediate_size = 0;  ///< total intermediate size of the always-on shared MLP (0 = none)
  bool shared_expert_gate = false;       ///< qwen2_moe: a sigmoid gate (hidden -> 1) on the shared expert
  bool router_bias_param = false;        ///< router carries a learned per-expert bias parameter
  bool active() const { return num_experts > 0; }
};

/// Multi-head latent attention (DeepSeek-V2/V3).
struct MlaSpec {
  int64_t q_lora_rank = 0;  ///< 0: queries are projected directly from the hidden state
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

/// What differs between layers of one model.
struct LayerSpec {
  bool moe = false;            ///< MLP is a mixture of experts (else dense)
  int64_t sliding_window = 0;  ///< attention span in tokens; 0 = full context
};

struct TransformerSpec {
  std::string name;        ///< display name ("Llama-3.1-8B" or the file it came from)
  std::string model_type;  ///< HF model_type ("llama", "deepseek_v3", ...)
  std::string source;      ///< where it was read from (file path or "catalog:NAME")

  bool causal = true;   ///< decoder (causal LM with an LM head) or encoder (bert: base model)
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;           ///< per-head dim of Q/K/V for standard attention
  int64_t intermediate_size = 0;  ///< dense MLP intermediate size
  int64_t max_position_embeddings = 0;

  AttentionKind attention = AttentionKind::kStandard;
  MlaSpec mla;
  MlpKind mlp = MlpKind::kGated;
  std::string activation = "silu";
  NormKind norm = NormKind::kRmsNorm;

  bool qkv_bias = false;       ///< biases on Q, K, V projections
  bool out_bias = false;       ///< bias on the attention output projection
  bool mlp_bias = false;       ///< biases on the MLP projections
  int64_t norms_per_layer = 2; ///< hidden-size norms per layer (gemma2, olmo2 differ)
  int64_t q_norm_size = 0;     ///< parameters of a per-layer query norm (qwen3: head_dim; olmo2: heads*head_dim)
  int64_t k_norm_size = 0;     ///< parameters of a per-layer key norm
  bool final_norm = true;
  bool tie_word_embeddings = false;
  bool learned_positions = false;  ///< absolute position embeddings (gpt2, bert)
  int64_t type_vocab_size = 0;     ///< bert token-type embeddings
  bool embedding_norm = false;     ///< a norm right after the embeddings (bert)
  bool pooler = false;             ///< bert pooler (dense hidden -> hidden with bias)
  bool lm_head_bias = false;

  /// Dropout probabilities the model trains with (0 = none), read from every spelling HF
  /// configs use (hf_config_loader.cc lists them). attention: on the softmax output (the
  /// a*s^2*b mask of unfused attention); hidden: on the attention and MLP outputs and the
  /// embeddings (the s*b*h masks).
  double attention_dropout = 0;
  double hidden_dropout = 0;

  MoeSpec moe;
  std::vector<LayerSpec> layers;  ///< num_layers entries

  /// Training keeps dropout masks for backward (Korthikanti et al. 2022, sec. 4.1).
  bool trains_with_dropout() const { return attention_dropout > 0 || hidden_dropout > 0; }

  /// Query heads * head dim (attention inner width).
  int64_t q_width() const { return num_heads * head_dim; }
  int64_t kv_width() const { return num_kv_heads * head_dim; }
  int64_t num_moe_layers() const;
  int64_t num_dense_layers() const { return num_layers - num_moe_layers(); }
};

/// Refuses a spec whose sizes pass their own limits but whose parameter count, estimated
/// generously in floating point before any exact int64 counting, exceeds limits::kParams
/// (docs/limits.md): "ORIGIN: parameters: expected at most 1e+15 (docs/limits.md), got about 7.7e+19".
/// Every loader calls it, so count_params() and the lowering never see a size that wraps.
Status check_model_size(const TransformerSpec& s, std::string_view origin);

}  // namespace flopscope
