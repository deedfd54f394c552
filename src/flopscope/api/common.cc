#include "flopscope/api/common.h"

#include <fmt/format.h>

#include "flopscope/model/load.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

Status check_positive(const char* flag, int64_t value) {
  if (value <= 0) return bad_input(std::string(flag) + ": expected a positive integer, got " + std::to_string(value));
  return {};
}

Status catalog_model_only(std::string_view origin, std::string_view field, std::string_view what,
                          const std::string& model) {
  if (find_catalog_model(model)) return {};
  return bad_input(fmt::format("{}: {}: a {} given as text names catalog models only (see flopscope models; a "
                               "config.json path is read from the command line), got '{}'",
                               origin, field, what, model.substr(0, 80)));
}

Json conventions_json() {
  return {
      {"flop", "one add or one multiply; a multiply-add is 2 FLOPs"},
      {"model_flops", "matmul FLOPs (GEMMs + attention products), forward + backward, no recomputation (PaLM/Megatron)"},
      {"hardware_flops", "matmul FLOPs executed: FlashAttention-2 backward at 2.5x forward, recomputation included"},
      {"attention", "*_causal counts visible (query, key) pairs only; *_dense counts every pair"},
      {"units", "SI base units: FLOPs, bytes, seconds"},
  };
}

Json params_json(const ParamCounts& c) {
  return {{"params", c.total},
          {"params_embedding", c.embedding},
          {"params_non_embedding", c.non_embedding},
          {"params_active", c.active},
          {"params_lm_head", c.lm_head},
          {"params_attention", c.attention},
          {"params_mlp", c.mlp},
          {"params_norms", c.norms},
          {"params_per_expert", c.per_expert}};
}

Json breakdown_json(const FlopBreakdown& b) {
  return {{"flops_qkv_proj", b.qkv},
          {"flops_attention_scores", b.attention_scores},
          {"flops_attention_values", b.attention_values},
          {"flops_attention_out_proj", b.attention_out},
          {"flops_mlp", b.mlp},
          {"flops_moe_router", b.moe_router},
          {"flops_moe_experts", b.moe_experts},
          {"flops_moe_shared_experts", b.moe_shared},
          {"flops_lm_head", b.lm_head},
          {"flops_pooler", b.pooler},
          {"flops_attention_dense", b.attention_dense},
          {"flops_non_matmul", b.other}};
}

std::string format_params(int64_t n) {
  std::string si = format_si(static_cast<double>(n));
  if (!si.empty() && si.back() == 'G') si.back() = 'B';  // billions, as model sizes are quoted
  return si + " (" + format_count(n) + ")";
}

}  // namespace flopscope::api
