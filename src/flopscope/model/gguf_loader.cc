#include "flopscope/model/gguf_loader.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "flopscope/util/limits.h"
#include "flopscope/util/text.h"

namespace flopscope {

namespace {

// A key that may be a scalar or a per-layer array (head counts in some architectures):
// the array's largest value stands for the model.
std::optional<int64_t> get_count(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  if (!v) return std::nullopt;
  if (v->is_integer()) return v->i;
  if (v->type == GgufType::kArray && !v->numbers.empty())
    return static_cast<int64_t>(*std::max_element(v->numbers.begin(), v->numbers.end()));
  return std::nullopt;
}

// Bounds on sizes (docs/limits.md), far above any published model, so that hostile
// metadata cannot make later arithmetic overflow or a per-layer loop run for hours (found
// by fuzz_gguf).
constexpr int64_t kMaxLayers = limits::kLayers;
constexpr int64_t kMaxWidth = limits::kWidth;
constexpr int64_t kMaxVocab = limits::kVocab;

Result<int64_t> require_count(const GgufFile& f, const std::string& key, const std::string& origin,
                              int64_t max = kMaxWidth) {
  auto v = get_count(f, key);
  if (!v) return bad_input(origin + ": " + key + ": expected a positive integer, got none");
  if (*v <= 0 || *v > max) {
    return bad_input(origin + ": " + key + ": expected an integer in 1.." + std::to_string(max) + ", got " +
                     std::to_string(*v));
  }
  return *v;
}

// An optional count: absent gives `fallback`; present must lie in 0..max.
Result<int64_t> optional_count(const GgufFile& f, const std::string& key, const std::string& origin, int64_t fallback,
                               int64_t max = kMaxWidth) {
  auto v = get_count(f, key);
  if (!v) return fallback;
  if (*v < 0 || *v > max) {
    return bad_input(origin + ": " + key + ": expected an integer in 0.." + std::to_string(max) + ", got " +
                     std::to_string(*v));
  }
  return *v;
}

int64_t tensor_elements(const GgufFile& f, const std::string& name) {
  const auto* t = f.find_tensor(name);
  return t ? t->elements : 0;
}
int64_t tensor_dim(const GgufFile& f, const std::string& name, size_t i) {
  const auto* t = f.find_tensor(name);
  return t && t->ne.size() > i ? t->ne[i] : 0;
}
bool has(const GgufFile& f, const std::string& name) { return f.find_tensor(name) != nullptr; }

// Tensor names as a set: per-layer lookups stay O(1) on files with many tensors.
struct TensorNames {
  explicit TensorNames(const GgufFile& f) {
    for (const auto& t : f.tensors) names.insert(t.name);
  }
  bool has(const std::string& n) const { return names.count(n) > 0; }
  std::unordered_set<std::string> names;
};

}  // namespace

Result<TransformerSpec> gguf_to_transformer(const GgufFile& f, const std::string& origin) {
  auto arch = f.get_string("general.architecture");
  if (!arch || arch->empty()) return bad_input(origin + ": general.architecture: expected a string, got none");
  const std::string a = *arch + ".";
  TransformerSpec s;
  s.model_type = printable(*arch);
  // Names are echoed in tables and error lines: no control characters (ESC, newlines).
  s.name = printable(f.get_string("general.name").value_or(origin));
  s.source = origin;

  auto hidden = require_count(f, a + "embedding_length", origin);
  if (!hidden) return hidden.error();
  auto layers = require_count(f, a + "block_count", origin, kMaxLayers);
  if (!layers) return layers.error();
  auto heads = require_count(f, a + "attention.head_count", origin, limits::kHeads);
  if (!heads) return heads.error();
  s.hidden_size = *hidden;
  s.num_layers = *layers;
  s.num_heads = *heads;
  auto kv_heads = optional_count(f, a + "attention.head_count_kv", origin, s.num_heads, limits::kHeads);
  if (!kv_heads) return kv_heads.error();
  s.num_kv_heads = *kv_heads;
  if (s.num_kv_heads <= 0 || s.num_heads % s.num_kv_heads != 0) {
    return bad_input(origin + ": " + a + "attention.head_count_kv: expected a divisor of " +
                     std::to_string(s.num_heads) + ", got " + std::to_string(s.num_kv_heads));
  }
  // A head dimension of 0 would divide by zero later (-nan FLOP): present means 1..limit.
  auto head_dim = f.find(a + "attention.key_length") ? require_count(f, a + "attention.key_length", origin, limits::kHeadDim)
                                                     : Result<int64_t>(s.hidden_size / s.num_heads);
  if (!head_dim) return head_dim.error();
  s.head_dim = *head_dim;
  if (s.head_dim <= 0) {
    return bad_input(origin + ": " + a + "attention.head_count: expected at most " + a + "embedding_length (" +
                     std::to_string(s.hidden_size) + ") heads, got " + std::to_string(s.num_heads));
  }
  auto context = optional_count(f, a + "context_length", origin, 0, limits::kPositions);
  if (!context) return context.error();
  s.max_position_embeddings = *context;
  auto vocab = optional_count(f, a + "vocab_size", origin, tensor_dim(f, "token_embd.weight", 1), kMaxVocab);
  if (!vocab) return vocab.error();
  s.vocab_size = *vocab;
  if (s.vocab_size <= 0) {
    if (const auto* tok = f.find("tokenizer.ggml.tokens")) s.vocab_size = static_cast<int64_t>(tok->array_length);
  }
  if (s.vocab_size > kMaxVocab) {
    return bad_input(origin + ": vocab_size: expected at most " + std::to_string(kMaxVocab) + ", got " + std::to_string(s.vocab_size));
  }
  if (s.vocab_size <= 0) {
    return bad_input(origin + ": " + a + "vocab_size: expected a positive integer or a token_embd.weight tensor, got neither");
  }

  // Structure from the tensors of the first block (llama.cpp's LLM_TENSOR_NAMES).
  const std::string b0 = "blk.0.";
  s.qkv_bias = has(f, b0 + "attn_q.bias") || has(f, b0 + "attn_qkv.bias");
  s.out_bias = has(f, b0 + "attn_output.bias");
  s.mlp_bias = has(f, b0 + "ffn_up.bias");
  bool gated = false, moe_any = false;
  const TensorNames names(f);
  s.layers.reserve(static_cast<size_t>(s.num_layers));
  for (int64_t i = 0; i < s.num_layers; ++i) {
    std::string bi = "blk." + std::to_string(i) + ".";
    gated = gated || names.has(bi + "ffn_gate.weight") || names.has(bi + "ffn_gate_exps.weight");
    LayerSpec l;
    l.moe = names.has(bi + "ffn_gate_inp.weight");
    moe_any = moe_any || l.moe;
    s.layers.push_back(l);
  }
  s.mlp = gated ? MlpKind::kGated : MlpKind::kPlain;
  s.norm = f.find(a + "attention.layer_norm_rms_epsilon") ? NormKind::kRmsNorm : NormKind::kLayerNorm;
  if (s.norm == NormKind::kRmsNorm && has(f, b0 + "attn_norm.bias")) s.norm = NormKind::kLayerNorm;
  bool gelu = arch->rfind("gemma", 0) == 0 || !gated;
  s.activation = gelu ? "gelu" : "silu";
  s.q_norm_size = tensor_elements(f, b0 + "attn_q_norm.weight");
  s.k_norm_size = tensor_elements(f, b0 + "attn_k_norm.weight");
  int64_t norms = 0;
  for (const auto& t : f.tensors) {
    if (t.name.rfind(b0, 0) != 0 || t.name.size() < 12 || t.name.compare(t.name.size() - 12, 12, "_norm.weight") != 0) continue;
    if (t.name == b0 + "attn_q_norm.weight" || t.name == b0 + "attn_k_norm.weight") continue;
    if (t.elements == s.hidden_size) ++norms;
  }
  if (norms > 0) s.norms_per_layer = norms;
  s.final_norm = has(f, "output_norm.weight");
  s.tie_word_embeddings = !has(f, "output.weight");
  s.lm_head_bias = has(f, "output.bias");
  s.learned_positions = has(f, "position_embd.weight");
  s.type_vocab_size = tensor_dim(f, "token_types.weight", 1);
  s.embedding_norm = has(f, "token_embd_norm.weight");
  s.causal = !(*arch == "bert" || *arch == "nomic-bert" || *arch == "jina-bert-v2");

  auto ffn = optional_count(f, a + "feed_forward_length", origin, 0);
  if (!ffn) return ffn.error();
  s.intermediate_size = *ffn;
  if (s.intermediate_size <= 0) s.intermediate_size = tensor_dim(f, b0 + "ffn_up.weight", 1);
  if (moe_any) {
    auto experts = require_count(f, a + "expert_count", origin, limits::kExperts);
    if (!experts) return experts.error();
    s.moe.num_experts = *experts;
    s.moe.experts_per_token = get_count(f, a + "expert_used_count").value_or(0);
    if (s.moe.experts_per_token <= 0 || s.moe.experts_per_token > s.moe.num_experts) {
      return bad_input(origin + ": " + a + "expert_used_count: expected 1.." + std::to_string(s.moe.num_experts) +
                       ", got " + std::to_string(s.moe.experts_per_token));
    }
    int64_t moe_layer = 0;
    for (int64_t i = 0; i < s.num_layers; ++i)
      if (s.layers[static_cast<size_t>(i)].moe) { moe_layer = i; break; }
    std::string bm = "blk." + std::to_string(moe_layer) + ".";
    auto expert_ffn = optional_count(f, a + "expert_feed_forward_length", origin, tensor_dim(f, bm + "ffn_up_exps.weight", 1));
    if (!expert_ffn) return expert_ffn.error();
    s.moe.expert_intermediate_size = *expert_ffn;
    if (s.moe.expert_intermediate_size <= 0) s.moe.expert_intermediate_size = s.intermediate_size;
    s.moe.shared_intermediate_size = tensor_dim(f, bm + "ffn_up_shexp.weight", 1);
    s.moe.shared_expert_gate = has(f, bm + "ffn_gate_inp_shexp.weight");
    s.moe.router_bias_param = has(f, bm + "exp_probs_b.bias");
  }
  if (f.find(a + "attention.kv_lora_rank")) {
    auto kv_rank = require_count(f, a + "attention.kv_lora_rank", origin);
    auto q_rank = optional_count(f, a + "attention.q_lora_rank", origin, 0);
    auto rope = optional_count(f, a + "rope.dimension_count", origin, 0);
    auto v_dim = f.find(a + "attention.value_length") ? require_count(f, a + "attention.value_length", origin, limits::kHeadDim)
                                                       : Result<int64_t>(s.head_dim);
    if (!kv_rank) return kv_rank.error();
    if (!q_rank) return q_rank.error();
    if (!rope) return rope.error();
    if (!v_dim) return v_dim.error();
    if (*rope > s.head_dim) {
      return bad_input(origin + ": " + a + "rope.dimension_count: expected at most the key length " +
                       std::to_string(s.head_dim) + ", got " + std::to_string(*rope));
    }
    s.attention = AttentionKind::kMla;
    s.mla.kv_lora_rank = *kv_rank;
    s.mla.q_lora_rank = *q_rank;
    s.mla.qk_rope_head_dim = *rope;
    s.mla.qk_nope_head_dim = s.head_dim - *rope;
    s.mla.v_head_dim = *v_dim;
  }
  if (s.intermediate_size <= 0 && !moe_any) {
    return bad_input(origin + ": " + a + "feed_forward_length: expected a positive integer, got none");
  }
  if (Status size = check_model_size(s, origin); !size) return size.error();
  return s;
}

Result<TransformerSpec> load_gguf_transformer(const std::string& path) {
  auto f = read_gguf(path);
  if (!f) return f.error();
  return gguf_to_transformer(*f, path);
}

GgufStorage gguf_storage(const GgufFile& file) {
  std::map<uint32_t, GgufStorage::TypeRow> rows;
  GgufStorage s;
  for (const auto& t : file.tensors) {
    auto& r = rows[t.type];
    r.type = ggml_type_info(t.type)->name;
    r.tensors += 1;
    r.elements += t.elements;
    r.bytes += t.bytes;
    s.elements += t.elements;
    s.bytes += t.bytes;
  }
  for (auto& [k, v] : rows) s.by_type.push_back(v);
  std::stable_sort(s.by_type.begin(), s.by_type.end(), [](const auto& x, const auto& y) { return x.bytes > y.bytes; });
  s.bits_per_weight = s.elements > 0 ? 8.0 * static_cast<double>(s.bytes) / static_cast<double>(s.elements) : 0;
  return s;
}

}  // namespace flopscope
