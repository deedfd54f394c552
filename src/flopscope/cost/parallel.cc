#include "flopscope/cost/parallel.h"

#include <fmt/format.h>

#include <algorithm>

#include "flopscope/cost/params.h"

namespace flopscope {

namespace {
constexpr int64_t kMaxDevices = 1'000'000;
}

int64_t members_per_node(int64_t size, int64_t stride, int64_t gpus_per_node) {
  if (size <= 1) return 1;
  int64_t per_node = std::max<int64_t>(1, gpus_per_node / std::max<int64_t>(stride, 1));
  return std::min(size, per_node);
}

Status validate(const Parallel& p, const TransformerSpec& s) {
  for (auto [flag, v] : {std::pair{"--tp", p.tp}, {"--pp", p.pp}, {"--cp", p.cp}, {"--ep", p.ep},
                         {"--virtual-stages", p.virtual_stages}, {"data-parallel size", p.dp},
                         {"micro-batches", p.micro_batches}, {"gpus per node", p.gpus_per_node}}) {
    if (v < 1 || v > kMaxDevices) {
      return bad_input(fmt::format("{}: expected an integer from 1 to {}, got {}", flag, kMaxDevices, v));
    }
  }
  // Each factor is at most 1e6, so the products below cannot wrap before this check.
  double devices = static_cast<double>(p.tp) * static_cast<double>(p.cp) * static_cast<double>(p.dp) *
                   static_cast<double>(p.pp);
  if (devices > static_cast<double>(kMaxDevices)) {
    return bad_input(fmt::format("--gpus: expected at most {} devices, got tp x cp x dp x pp = {:.0f}", kMaxDevices, devices));
  }
  if (p.zero < 0 || p.zero > 3) return bad_input(fmt::format("--zero: expected 0, 1, 2 or 3, got {}", p.zero));
  if (p.sequence_parallel && p.tp == 1) return bad_input("--sp: sequence parallelism needs --tp greater than 1");
  if (p.virtual_stages > 1 && p.pp == 1) return bad_input("--virtual-stages: interleaving needs --pp greater than 1");
  const int64_t heads = s.num_heads;
  if (heads % p.tp != 0) {
    return bad_input(fmt::format("--tp: expected a divisor of the model's {} attention heads, got {}", heads, p.tp));
  }
  if (s.attention != AttentionKind::kMla && s.num_kv_heads > 0 && s.num_kv_heads % p.tp != 0 &&
      p.tp % s.num_kv_heads != 0) {
    return bad_input(fmt::format("--tp: expected a divisor or a multiple of the model's {} KV heads, got {}",
                                 s.num_kv_heads, p.tp));
  }
  // Stages need not divide the layers: Megatron-Core places uneven stages
  // (--decoder-first-pipeline-num-layers; Llama 3 ran 126 layers on 16 stages); the
  // fullest stage, ceil(layers / pp) layers, sets the pace.
  const int64_t chunks = p.pp * p.virtual_stages;
  if (chunks > s.num_layers) {
    if (p.virtual_stages > 1) {
      return bad_input(fmt::format("--pp x --virtual-stages: expected at most the model's {} layers, got {} x {} = {}",
                                   s.num_layers, p.pp, p.virtual_stages, chunks));
    }
    return bad_input(fmt::format("--pp: expected at most the model's {} layers, got {}", s.num_layers, p.pp));
  }
  if (p.ep > 1) {
    if (!s.moe.active()) return bad_input(fmt::format("--ep: the model has no experts; expected 1, got {}", p.ep));
    if (s.moe.num_experts % p.ep != 0) {
      return bad_input(fmt::format("--ep: expected a divisor of the model's {} experts, got {}", s.moe.num_experts, p.ep));
    }
    if ((p.dp * p.cp) % p.ep != 0) {
      return bad_input(fmt::format("--ep: expected a divisor of data-parallel x context-parallel = {}, got {}",
                                   p.dp * p.cp, p.ep));
    }
  }
  return {};
}

double device_params(const TransformerSpec& s, const Parallel& p, bool first_stage) {
  ParamCounts c = count_params(s);
  const double tp = static_cast<double>(std::max<int64_t>(p.tp, 1));
  const double pp = static_cast<double>(std::max<int64_t>(p.pp, 1));
  const double ep = static_cast<double>(std::max<int64_t>(p.ep, 1));
  double experts = static_cast<double>(c.per_expert) * static_cast<double>(s.moe.num_experts) *
                   static_cast<double>(s.num_moe_layers());
  double layers = static_cast<double>(c.attention + c.mlp + c.norms) - experts;
  double outside = p.pp == 1    ? static_cast<double>(c.embedding + c.lm_head)
                   : first_stage ? static_cast<double>(c.embedding)
                                 : static_cast<double>(c.lm_head > 0 ? c.lm_head : c.embedding);
  return (layers / tp + experts / (tp * ep)) / pp + outside / tp;
}

std::string describe(const Parallel& p) {
  std::string out = fmt::format("tp {}", p.tp);
  if (p.sequence_parallel) out += " sp";
  out += fmt::format(" pp {}", p.pp);
  if (p.virtual_stages > 1) out += fmt::format(" (v {})", p.virtual_stages);
  out += fmt::format(" dp {}", p.dp);
  if (p.cp > 1) out += fmt::format(" cp {}", p.cp);
  if (p.ep > 1) out += fmt::format(" ep {}", p.ep);
  out += fmt::format(" zero {}", p.zero);
  return out;
}

}  // namespace flopscope
