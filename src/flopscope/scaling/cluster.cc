#include "flopscope/scaling/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "flopscope/cost/parallel.h"

namespace flopscope {

std::vector<int64_t> tp_candidates(int64_t gpus, int64_t gpus_per_node) {
  std::vector<int64_t> out;
  for (int64_t t = 1; t <= std::min(gpus, std::max<int64_t>(1, gpus_per_node)); t *= 2) out.push_back(t);
  return out;
}

Result<ParallelPrediction> fitting_training_layout(const TransformerSpec& spec, const Workload& w, int64_t gpus,
                                                   int64_t global_batch, const System& system, const Hardware& hw,
                                                   const TimingEngine& engine, const MemoryOptions& mo) {
  std::optional<ParallelPrediction> best;
  std::string last_error;
  for (int64_t tp : tp_candidates(gpus, system.gpus_per_node)) {
    for (int64_t pp = 1; tp * pp <= gpus && pp <= spec.num_layers; pp *= 2) {
      if (gpus % (tp * pp) != 0) continue;
      Workload lw = w;
      lw.parallel = Parallel{};
      lw.parallel.tp = tp;
      lw.parallel.sequence_parallel = tp > 1;  // Megatron's default with tp
      lw.parallel.pp = pp;
      lw.parallel.zero = gpus / (tp * pp) > 1 ? 1 : 0;
      lw.parallel.gpus_per_node = system.gpus_per_node;
      if (!validate(lw.parallel, spec)) continue;
      const int64_t dp = gpus / (tp * pp);
      const int64_t unit = std::max<int64_t>(1, w.batch) * dp;
      int64_t gb = global_batch > 0 ? (global_batch + unit - 1) / unit * unit : unit * pp;
      auto p = predict_training(spec, lw, gpus, gb, hw, engine, mo);
      if (!p) {
        last_error = p.error().message;
        continue;
      }
      const bool better = !best || (p->fits && !best->fits) ||
                          (p->fits && best->fits && p->tokens_per_second > best->tokens_per_second) ||
                          (!p->fits && !best->fits && p->memory.bytes_total < best->memory.bytes_total);
      if (better) best = std::move(*p);
    }
  }
  if (!best) {
    return bad_input(fmt::format("no tensor x pipeline layout splits {} over {} devices{}", spec.name, gpus,
                                 last_error.empty() ? "" : " (" + last_error + ")"));
  }
  return *best;
}

TransformerSpec llama_shaped(double params) {
  TransformerSpec s;
  s.name = "llama-shaped";
  s.model_type = "llama";
  double d = std::cbrt(std::max(params, 1e6) * 128.0 / 12.0);
  // Widths of 4096 and more round to 1024 (8 heads): the head count then splits over tp 8,
  // as every published large model's does.
  const double unit = d >= 4096 ? 1024.0 : 128.0;
  int64_t width = std::max<int64_t>(128, static_cast<int64_t>(std::llround(d / unit) * unit));
  s.hidden_size = width;
  s.num_layers = std::max<int64_t>(2, width / 128);
  s.num_heads = width / 128;
  s.num_kv_heads = s.num_heads;
  s.head_dim = 128;
  s.intermediate_size =
      std::max<int64_t>(256, static_cast<int64_t>(std::llround(8.0 * static_cast<double>(width) / 3.0 / 256.0)) * 256);
  s.vocab_size = 32000;
  s.layers.assign(static_cast<size_t>(s.num_layers), LayerSpec{});
  return s;
}

Result<ClusterMfu> cluster_mfu(const Hardware& hw, double params, int64_t gpus) {
  if (gpus < 1) return bad_input(fmt::format("--gpus: expected a positive integer, got {}", gpus));
  DType dtype = hw.supports(DType::kBF16) ? DType::kBF16 : DType::kFP16;
  if (!hw.supports(dtype)) return bad_input(fmt::format("hardware '{}' has no 16-bit compute", hw.id));
  System system;
  if (const System* s = SystemCatalog::builtin().for_hardware(hw.id)) {
    system = *s;
  } else {
    system = standalone_system(hw);
  }
  if (gpus > system.gpus_per_node && !system.network().multi_node()) {
    return bad_input(fmt::format("--gpus: '{}' has no network to other nodes in the catalog; {} GPUs need more than "
                                 "its {} per node",
                                 system.id, gpus, system.gpus_per_node));
  }
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 1;
  w.seq = 4096;
  w.dtype = w.weight_dtype = dtype;
  w.modules = Modules::kFused;  // Megatron-class stacks (docs/parallelism.md)
  TimingEngine engine(hw, nullptr, Software::kEager);
  engine.set_network(system.network());
  MemoryOptions mo;
  const TransformerSpec spec = llama_shaped(params);
  // About 4M tokens per step (Llama 3: 4M-16M; Chinchilla: 1.5M-3M).
  auto p = fitting_training_layout(spec, w, gpus, 1024, system, hw, engine, mo);
  if (!p) return p.error();
  ClusterMfu c;
  c.mfu = p->mfu;
  c.fits = p->fits;
  c.gpus = gpus;
  c.layout = describe(p->workload.parallel);
  c.system = system.id;
  return c;
}

Result<ClusterMfu> default_cluster(const Hardware& hw, double params, double flops, double seconds_limit) {
  std::optional<ClusterMfu> last;
  for (int64_t gpus = 8; gpus <= 65536; gpus *= 2) {
    auto c = cluster_mfu(hw, params, gpus);
    if (!c) {
      if (last) return *last;  // a system without a network past one node
      return c.error();
    }
    last = *c;
    const double rate = static_cast<double>(gpus) * hw.peak(DType::kBF16) * c->mfu;
    if (c->fits && rate > 0 && flops / rate <= seconds_limit) return *c;
  }
  return *last;
}

}  // namespace flopscope
