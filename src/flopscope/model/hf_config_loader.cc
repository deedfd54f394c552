// Hugging Face config.json -> TransformerSpec, one mapping per model_type.
//
// Each family reads its own keys, as the transformers configuration class of that
// model_type defines them (defaults included), so that count_params() of the result equals
// the parameters transformers instantiates. Families:
//   llama (1, 2, 3, 3.1, 3.2), mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma,
//   gemma2, phi3, gpt2, gpt_neox, deepseek_v2, deepseek_v3, olmo2, bert.
#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "flopscope/model/load.h"
#include "flopscope/util/json_reader.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/text.h"

namespace flopscope {

namespace {

using Json = nlohmann::json;

// The limit on each integer key (docs/limits.md); any other integer key is bounded by
// limits::kPositions. Checked as the key is read, before any size is used.
const IntegerLimits& config_limits() {
  using namespace limits;
  static const IntegerLimits kLimits = {
      {"vocab_size", kVocab},
      {"type_vocab_size", kVocab},
      {"hidden_size", kWidth},
      {"n_embd", kWidth},
      {"intermediate_size", kWidth},
      {"n_inner", kWidth},
      {"moe_intermediate_size", kWidth},
      {"shared_expert_intermediate_size", kWidth},
      {"q_lora_rank", kWidth},
      {"kv_lora_rank", kWidth},
      {"num_hidden_layers", kLayers},
      {"n_layer", kLayers},
      {"max_window_layers", kLayers},
      {"first_k_dense_replace", kLayers},
      {"moe_layer_freq", kLayers},
      {"decoder_sparse_step", kLayers},
      {"num_attention_heads", kHeads},
      {"n_head", kHeads},
      {"num_key_value_heads", kHeads},
      {"head_dim", kHeadDim},
      {"qk_nope_head_dim", kHeadDim},
      {"qk_rope_head_dim", kHeadDim},
      {"v_head_dim", kHeadDim},
      {"num_local_experts", kExperts},
      {"num_experts", kExperts},
      {"n_routed_experts", kExperts},
      {"num_experts_per_tok", kExperts},
      {"n_shared_experts", kExperts},
      {"max_position_embeddings", kPositions},
      {"n_positions", kPositions},
      {"sliding_window", kPositions},
  };
  return kLimits;
}

// Keys shared by llama-like decoders (LlamaConfig and its descendants).
void read_llama_like(JsonReader& r, TransformerSpec& s) {
  s.vocab_size = r.positive("vocab_size");
  s.hidden_size = r.positive("hidden_size");
  s.num_layers = r.positive("num_hidden_layers");
  s.num_heads = r.positive("num_attention_heads");
  s.num_kv_heads = r.optional_int("num_key_value_heads", s.num_heads);
  if (s.num_kv_heads == 0) r.fail("num_key_value_heads", "a positive integer", "got 0");
  s.head_dim = r.has("head_dim") ? r.positive("head_dim") : (s.num_heads ? s.hidden_size / s.num_heads : 0);
  s.max_position_embeddings = r.optional_int("max_position_embeddings", 0);
  s.activation = r.optional_string("hidden_act", "silu");
  s.tie_word_embeddings = r.optional_bool("tie_word_embeddings", false);
  s.mlp = MlpKind::kGated;
  s.norm = NormKind::kRmsNorm;
  if (!r.failed() && s.num_heads % s.num_kv_heads != 0) {
    r.fail("num_key_value_heads", "a divisor of num_attention_heads (" + std::to_string(s.num_heads) + ")",
           "got " + std::to_string(s.num_kv_heads));
  }
}

void set_layers(TransformerSpec& s, int64_t window = 0) {
  s.layers.assign(static_cast<size_t>(std::max<int64_t>(s.num_layers, 0)), LayerSpec{false, window});
}

// A llama-like decoder with its dense MLP width: what most families start from.
void read_decoder(JsonReader& r, TransformerSpec& s) {
  read_llama_like(r, s);
  s.intermediate_size = r.positive("intermediate_size");
}

// attention_bias (default false) puts a bias on q, k, v and o alike.
void read_attention_bias(JsonReader& r, TransformerSpec& s) {
  s.qkv_bias = s.out_bias = r.optional_bool("attention_bias", false);
}

// transformers' newer configs list each layer's attention ("sliding_attention" or
// "full_attention"); they take precedence over a family's default pattern.
void apply_layer_types(JsonReader& r, TransformerSpec& s, int64_t window) {
  if (!r.has("layer_types")) return;
  const Json& types = r.json().at("layer_types");
  if (!types.is_array() || static_cast<int64_t>(types.size()) != s.num_layers) {
    r.fail("layer_types", "an array of num_hidden_layers strings", "got " + std::to_string(types.size()) + " entries");
    return;
  }
  for (size_t i = 0; i < types.size(); ++i) {
    if (!types[i].is_string()) {
      r.fail("layer_types", "strings", "got " + types[i].dump());
      return;
    }
    s.layers[i].sliding_window = types[i].get<std::string>() == "sliding_attention" ? window : 0;
  }
}

void read_llama(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  read_attention_bias(r, s);
  s.mlp_bias = r.optional_bool("mlp_bias", false);
  set_layers(s);
}

// Mistral and Phi-3: a llama decoder whose every layer caches sliding_window tokens (0: all).
void read_mistral(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  set_layers(s, r.optional_int("sliding_window", 0));
}

void read_mixtral(JsonReader& r, TransformerSpec& s) {
  read_mistral(r, s);
  s.moe.num_experts = r.positive("num_local_experts");
  s.moe.experts_per_token = r.positive("num_experts_per_tok");
  s.moe.expert_intermediate_size = s.intermediate_size;
  for (auto& l : s.layers) l.moe = true;
}

// Qwen2 caches a window only when use_sliding_window is set, and then only on layers at or
// above max_window_layers.
int64_t qwen_window(JsonReader& r) {
  if (!r.optional_bool("use_sliding_window", false)) return 0;
  return r.optional_int("sliding_window", 0);
}

void apply_qwen_window(JsonReader& r, TransformerSpec& s, int64_t window) {
  if (window == 0) return;
  int64_t from = r.optional_int("max_window_layers", 0);
  for (int64_t i = from; i < s.num_layers; ++i) s.layers[static_cast<size_t>(i)].sliding_window = window;
}

// The attention of Qwen2 (q/k/v with bias, o_proj without) and of Qwen3 (attention_bias,
// per-head RMSNorm on q and k), shared by their dense and MoE models.
void read_qwen2_attention(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  s.qkv_bias = true;
}

void read_qwen3_attention(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  read_attention_bias(r, s);
  s.q_norm_size = s.k_norm_size = s.head_dim;
}

void read_qwen2(JsonReader& r, TransformerSpec& s) {
  read_qwen2_attention(r, s);
  set_layers(s);
  apply_qwen_window(r, s, qwen_window(r));
}

void read_qwen3(JsonReader& r, TransformerSpec& s) {
  read_qwen3_attention(r, s);
  set_layers(s);
  apply_qwen_window(r, s, qwen_window(r));
}

// Which layers of a Qwen MoE model are sparse: not in mlp_only_layers and
// (layer + 1) % decoder_sparse_step == 0.
void apply_qwen_moe_layers(JsonReader& r, TransformerSpec& s) {
  int64_t step = r.optional_int("decoder_sparse_step", 1);
  std::vector<int64_t> dense_only;
  if (r.has("mlp_only_layers")) {
    const Json& v = r.json().at("mlp_only_layers");
    if (!v.is_array()) r.fail("mlp_only_layers", "an array of layer indices", "got " + v.dump());
    else for (const auto& x : v) if (x.is_number_integer()) dense_only.push_back(x.get<int64_t>());
  }
  for (int64_t i = 0; i < s.num_layers; ++i) {
    bool only = std::find(dense_only.begin(), dense_only.end(), i) != dense_only.end();
    s.layers[static_cast<size_t>(i)].moe = !only && s.moe.num_experts > 0 && step > 0 && (i + 1) % step == 0;
  }
}

// The experts of a Qwen MoE model (Qwen2-MoE adds a gated shared expert) and its layers,
// after its attention is read.
void read_qwen_moe(JsonReader& r, TransformerSpec& s, bool shared_expert) {
  s.moe.num_experts = r.positive("num_experts");
  s.moe.experts_per_token = r.positive("num_experts_per_tok");
  s.moe.expert_intermediate_size = r.positive("moe_intermediate_size");
  if (shared_expert) {
    s.moe.shared_intermediate_size = r.optional_int("shared_expert_intermediate_size", 0);
    s.moe.shared_expert_gate = s.moe.shared_intermediate_size > 0;
  }
  set_layers(s);
  apply_qwen_moe_layers(r, s);
  apply_qwen_window(r, s, qwen_window(r));
}

void read_qwen2_moe(JsonReader& r, TransformerSpec& s) {
  read_qwen2_attention(r, s);
  read_qwen_moe(r, s, /*shared_expert=*/true);
}

void read_qwen3_moe(JsonReader& r, TransformerSpec& s) {
  read_qwen3_attention(r, s);
  read_qwen_moe(r, s, /*shared_expert=*/false);
}

void read_gemma(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  s.activation = r.optional_string("hidden_activation", r.optional_string("hidden_act", "gelu_pytorch_tanh"));
  s.tie_word_embeddings = r.optional_bool("tie_word_embeddings", true);
  read_attention_bias(r, s);
  set_layers(s);
}

void read_gemma2(JsonReader& r, TransformerSpec& s) {
  read_gemma(r, s);
  s.norms_per_layer = 4;  // input, post-attention, pre-feedforward, post-feedforward
  int64_t window = r.optional_int("sliding_window", 4096);
  // Gemma2DecoderLayer: even layers use the sliding window, odd layers global attention.
  for (int64_t i = 0; i < s.num_layers; ++i) s.layers[static_cast<size_t>(i)].sliding_window = i % 2 == 0 ? window : 0;
  apply_layer_types(r, s, window);
}

void read_olmo2(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  read_attention_bias(r, s);
  // Olmo2: norms after attention and after the MLP (2 per layer), and RMSNorms over the
  // whole projected q (heads*head_dim) and k (kv_heads*head_dim).
  s.q_norm_size = s.num_heads * s.head_dim;
  s.k_norm_size = s.num_kv_heads * s.head_dim;
  set_layers(s);
}

// GPT-2 / GPT-NeoX / BERT blocks: multi-head attention (one KV head per query head),
// plain GELU MLP, LayerNorm with bias.
// Sizes under the family's key names (GPT-2: n_embd, n_layer, n_head).
void read_gpt_style(JsonReader& r, TransformerSpec& s, const char* hidden = "hidden_size",
                    const char* layers = "num_hidden_layers", const char* heads = "num_attention_heads") {
  s.vocab_size = r.positive("vocab_size");
  s.hidden_size = r.positive(hidden);
  s.num_layers = r.positive(layers);
  s.num_heads = r.positive(heads);
  s.num_kv_heads = s.num_heads;
  s.head_dim = s.num_heads ? s.hidden_size / s.num_heads : 0;
  s.mlp = MlpKind::kPlain;
  s.norm = NormKind::kLayerNorm;
}

void read_gpt2(JsonReader& r, TransformerSpec& s) {
  read_gpt_style(r, s, "n_embd", "n_layer", "n_head");
  s.max_position_embeddings = r.positive("n_positions");
  s.intermediate_size = r.has("n_inner") ? r.positive("n_inner") : 4 * s.hidden_size;
  s.activation = r.optional_string("activation_function", "gelu_new");
  s.qkv_bias = s.out_bias = s.mlp_bias = true;
  s.learned_positions = true;
  s.tie_word_embeddings = r.optional_bool("tie_word_embeddings", true);
  set_layers(s);
}

void read_gpt_neox(JsonReader& r, TransformerSpec& s) {
  read_gpt_style(r, s);
  s.intermediate_size = r.positive("intermediate_size");
  s.max_position_embeddings = r.optional_int("max_position_embeddings", 0);
  s.activation = r.optional_string("hidden_act", "gelu");
  s.qkv_bias = s.out_bias = r.optional_bool("attention_bias", true);
  s.mlp_bias = true;
  s.tie_word_embeddings = r.optional_bool("tie_word_embeddings", false);
  set_layers(s);
}

void read_deepseek(JsonReader& r, TransformerSpec& s) {
  read_decoder(r, s);
  s.attention = AttentionKind::kMla;
  s.mla.q_lora_rank = r.optional_int("q_lora_rank", 0);  // null in V2-Lite: direct q_proj
  s.mla.kv_lora_rank = r.positive("kv_lora_rank");
  s.mla.qk_nope_head_dim = r.positive("qk_nope_head_dim");
  s.mla.qk_rope_head_dim = r.positive("qk_rope_head_dim");
  s.mla.v_head_dim = r.positive("v_head_dim");
  s.head_dim = s.mla.qk_head_dim();
  s.num_kv_heads = s.num_heads;  // after up-projection every head has its own K and V
  read_attention_bias(r, s);
  s.moe.num_experts = r.optional_int("n_routed_experts", 0);
  s.moe.experts_per_token = r.optional_int("num_experts_per_tok", 0);
  s.moe.expert_intermediate_size = r.optional_int("moe_intermediate_size", 0);
  int64_t shared = r.optional_int("n_shared_experts", 0);
  s.moe.shared_intermediate_size = shared * s.moe.expert_intermediate_size;
  // transformers keeps V3's e_score_correction_bias as a buffer, not a parameter.
  s.moe.router_bias_param = false;
  set_layers(s);
  int64_t first_dense = r.optional_int("first_k_dense_replace", 0);
  int64_t freq = r.optional_int("moe_layer_freq", 1);
  for (int64_t i = 0; i < s.num_layers; ++i) {
    s.layers[static_cast<size_t>(i)].moe = s.moe.num_experts > 0 && i >= first_dense && freq > 0 && i % freq == 0;
  }
}

void read_bert(JsonReader& r, TransformerSpec& s) {
  s.causal = false;
  read_gpt_style(r, s);
  s.intermediate_size = r.positive("intermediate_size");
  s.max_position_embeddings = r.positive("max_position_embeddings");
  s.type_vocab_size = r.optional_int("type_vocab_size", 2);
  s.activation = r.optional_string("hidden_act", "gelu");
  s.qkv_bias = s.out_bias = s.mlp_bias = true;
  s.learned_positions = true;
  s.embedding_norm = true;
  s.final_norm = false;  // post-LN: each layer ends in its own norm
  s.pooler = true;       // BertModel(add_pooling_layer=True)
  s.tie_word_embeddings = false;
  set_layers(s);
}

// Dropout probabilities, under every key spelling the transformers configuration classes
// use; where several are present the largest is taken. A key that is absent leaves the
// family's default (GPT2Config and BertConfig: 0.1; the others: 0.0).
//   attention (softmax output): attn_pdrop (gpt2), attention_dropout (llama and its
//     descendants, gpt_neox, opt, phi3), attention_probs_dropout_prob (bert, early gpt_neox)
//   hidden (attention and MLP outputs, embeddings): resid_pdrop, embd_pdrop (gpt2, phi3),
//     hidden_dropout (gpt_neox), hidden_dropout_prob (bert, early gpt_neox), dropout (opt)
// Each must be a number in [0, 1): p = 1 drops everything and is no training setting.
void read_dropout(JsonReader& r, TransformerSpec& s) {
  const bool ten_percent = s.model_type == "gpt2" || s.model_type == "bert";
  auto read = [&r](std::initializer_list<std::string_view> keys, double fallback) {
    double p = 0;
    bool any = false;
    for (std::string_view key : keys) {
      if (!r.has(key)) continue;
      const Json& v = r.json().at(std::string(key));
      double x = v.is_number() ? v.get<double>() : -1;
      if (!v.is_number() || !(x >= 0 && x < 1)) {
        r.fail(key, "a dropout probability in [0, 1)", "got " + std::string(v.is_string() ? "string " : "") + v.dump());
        return 0.0;
      }
      p = std::max(p, x);
      any = true;
    }
    return any ? p : fallback;
  };
  s.attention_dropout = read({"attn_pdrop", "attention_dropout", "attention_probs_dropout_prob"}, ten_percent ? 0.1 : 0.0);
  s.hidden_dropout = read({"resid_pdrop", "embd_pdrop", "hidden_dropout", "hidden_dropout_prob", "dropout"},
                          ten_percent ? 0.1 : 0.0);
}

using Reader = std::function<void(JsonReader&, TransformerSpec&)>;

const std::map<std::string, Reader>& readers() {
  static const std::map<std::string, Reader> kReaders = {
      {"llama", read_llama},
      {"mistral", read_mistral},
      {"mixtral", read_mixtral},
      {"qwen2", read_qwen2},
      {"qwen2_moe", read_qwen2_moe},
      {"qwen3", read_qwen3},
      {"qwen3_moe", read_qwen3_moe},
      {"gemma", read_gemma},
      {"gemma2", read_gemma2},
      {"phi3", read_mistral},
      {"gpt2", read_gpt2},
      {"gpt_neox", read_gpt_neox},
      {"deepseek_v2", read_deepseek},
      {"deepseek_v3", read_deepseek},
      {"olmo2", read_olmo2},
      {"bert", read_bert},
  };
  return kReaders;
}

}  // namespace

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> kTypes = [] {
    std::vector<std::string> v;
    for (const auto& [k, _] : readers()) v.push_back(k);
    return v;
  }();
  return kTypes;
}

Result<TransformerSpec> parse_hf_config(std::string_view json_text, std::string_view origin) {
  std::string where(origin);
  auto parsed = parse_json(json_text, where);
  if (!parsed) return parsed.error();
  const Json& j = *parsed;
  if (!j.is_object()) return bad_input(where + ": expected a JSON object at the top level");
  JsonReader r(j, where, &config_limits(), limits::kPositions);
  if (!r.has("model_type")) return bad_input(where + ": model_type: expected a string naming the architecture, key is missing");
  std::string type = r.optional_string("model_type", "");
  if (r.failed()) return r.error();
  auto it = readers().find(type);
  if (it == readers().end()) {
    std::string list;
    for (const auto& t : supported_model_types()) list += (list.empty() ? "" : ", ") + t;
    return bad_input(where + ": model_type: expected one of " + list + ", got '" + printable(type) + "'" +
                     did_you_mean(type, supported_model_types()));
  }
  TransformerSpec s;
  s.model_type = type;
  s.source = where;
  it->second(r, s);
  read_dropout(r, s);
  if (r.failed()) return r.error();
  if (s.num_heads > 0 && s.attention == AttentionKind::kStandard && !r.has("head_dim") && s.hidden_size % s.num_heads != 0) {
    return bad_input(where + ": num_attention_heads: expected a divisor of hidden_size (" + std::to_string(s.hidden_size) +
                     "), got " + std::to_string(s.num_heads));
  }
  if (s.moe.active() && s.moe.experts_per_token > s.moe.num_experts) {
    return bad_input(where + ": num_experts_per_tok: expected at most the number of experts (" +
                     std::to_string(s.moe.num_experts) + "), got " + std::to_string(s.moe.experts_per_token));
  }
  if (Status size = check_model_size(s, where); !size) return size.error();
  return s;
}

}  // namespace flopscope
