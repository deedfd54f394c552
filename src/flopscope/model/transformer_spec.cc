#include "flopscope/model/transformer_spec.h"

#include <algorithm>
#include <fmt/format.h>

#include "flopscope/util/limits.h"

namespace flopscope {

int64_t TransformerSpec::num_moe_layers() const {
  int64_t n = 0;
  for (const auto& l : layers) n += l.moe ? 1 : 0;
  return n;
}

Status check_model_size(const TransformerSpec& s, std::string_view origin) {
  using D = long double;
  auto d = [](int64_t v) { return static_cast<D>(std::max<int64_t>(v, 0)); };
  const D h = d(s.hidden_size);
  // An upper bound of count_params(): every projection counted with its widest shape,
  // biases and norms over-counted as full rows, every layer as the larger of dense and MoE.
  const D qk = std::max({d(s.head_dim), d(s.mla.qk_head_dim()), d(s.mla.v_head_dim)});
  const D rank = d(s.mla.q_lora_rank) + d(s.mla.kv_lora_rank) + d(s.mla.qk_rope_head_dim);
  const D attention = (h + 2) * (d(s.num_heads) + 2 * d(s.num_kv_heads)) * qk * 2 + (h + 2) * rank * 2 +
                      rank * d(s.num_heads) * qk * 2 + d(s.q_norm_size) + d(s.k_norm_size);
  const D dense = 3 * (h + 2) * (d(s.intermediate_size) + 1);
  const D moe = d(s.moe.num_experts) * (3 * (h + 2) * (d(s.moe.expert_intermediate_size) + 1) + h + 1) +
                3 * (h + 2) * (d(s.moe.shared_intermediate_size) + 1) + h;
  const D layer = attention + std::max(dense, moe) + d(s.norms_per_layer) * 2 * h;
  const D embeddings = (2 * d(s.vocab_size) + d(s.max_position_embeddings) + d(s.type_vocab_size) + 4) * (h + 1);
  const D total = d(s.num_layers) * layer + embeddings + h * h + h;
  if (total > static_cast<D>(limits::kParams)) {
    return bad_input(fmt::format("{}: parameters: expected at most {:.0e} (docs/limits.md), got about {:.2g}", origin,
                                 limits::kParams, static_cast<double>(total)));
  }
  return {};
}

}  // namespace flopscope
