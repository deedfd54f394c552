#include "flopscope/scaling/training_cost.h"

#include <algorithm>
#include <cmath>

#include "flopscope/perf/predict.h"

namespace flopscope {

namespace {
// Fallback when the engine cannot predict (hardware without 16-bit compute): Llama 3 405B
// reached 38-43% BF16 MFU on H100 (Meta 2024, "The Llama 3 Herd of Models", Table 4).
constexpr double kDefaultMfu = 0.40;
}  // namespace

namespace {

// A Llama-shaped dense model of about `params` parameters: width d with layers = d/128
// (aspect ratio of the Llama 2/3 family: 8B is 4096/32, 70B is 8192/80), 128-dim heads,
// SwiGLU MLP of 8/3 d rounded to 256, 32k vocabulary. params ~ 12 L d^2 = 12 d^3 / 128.
TransformerSpec llama_shaped(double params) {
  TransformerSpec s;
  s.name = "llama-shaped";
  s.model_type = "llama";
  double d = std::cbrt(std::max(params, 1e6) * 128.0 / 12.0);
  int64_t width = std::max<int64_t>(128, static_cast<int64_t>(std::llround(d / 128.0)) * 128);
  s.hidden_size = width;
  s.num_layers = std::max<int64_t>(2, width / 128);
  s.num_heads = width / 128;
  s.num_kv_heads = s.num_heads;
  s.head_dim = 128;
  s.intermediate_size = std::max<int64_t>(256, static_cast<int64_t>(std::llround(8.0 * static_cast<double>(width) / 3.0 / 256.0)) * 256);
  s.vocab_size = 32000;
  s.layers.assign(static_cast<size_t>(s.num_layers), LayerSpec{});
  return s;
}

}  // namespace

double default_mfu(const Hardware& hw, double params) {
  // Predicted MFU of one training micro-batch (4 x 4096 tokens, bf16 or fp16, PyTorch eager
  // with flash attention, no recomputation) of a model of that size, from the timing
  // engine. The optimizer step is amortized over gradient accumulation and left out, and so
  // is communication: a multi-node run measures lower (Llama 3 405B: 38-43%).
  DType dtype = hw.supports(DType::kBF16) ? DType::kBF16 : DType::kFP16;
  if (!hw.supports(dtype)) return kDefaultMfu;
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 4;
  w.seq = 4096;
  w.dtype = w.weight_dtype = dtype;
  w.optimizer_step = false;
  TimingEngine engine(hw, nullptr, Software::kEager);
  auto p = predict(llama_shaped(params), w, hw, engine);
  return p.ok() && p->mfu > 0 ? p->mfu : kDefaultMfu;
}

std::string_view default_mfu_source() {
  return "predicted by the timing engine for one training micro-batch of a Llama-shaped model of that size "
         "(4 x 4096 tokens, eager, flash attention, no communication; multi-node runs measure lower, e.g. "
         "Llama 3 405B at 38-43%); pass --mfu to override";
}

TrainingRun training_run(double flops, const Hardware& hw, double mfu, std::string mfu_source,
                         double usd_per_device_hour, std::string price_source) {
  TrainingRun r;
  r.flops = flops;
  r.flops_per_second_peak = hw.peak(DType::kBF16);
  r.mfu = mfu;
  r.mfu_source = std::move(mfu_source);
  double achieved = r.flops_per_second_peak * mfu;
  r.seconds_device = achieved > 0 ? flops / achieved : 0;
  r.usd_per_device_hour = usd_per_device_hour;
  r.price_source = std::move(price_source);
  return r;
}

double flops_from_device_hours(double device_hours, const Hardware& hw, double mfu) {
  return device_hours * 3600 * hw.peak(DType::kBF16) * mfu;
}

double budget_flops_fixed_point(const ScalingLaw& law, double device_hours, const Hardware& hw, const MfuFn& mfu,
                                int max_rounds) {
  double params = 1e9, flops = flops_from_device_hours(device_hours, hw, 0.4);
  for (int i = 0; i < max_rounds; ++i) {
    double next = flops_from_device_hours(device_hours, hw, mfu(params, flops));
    params = compute_optimal(law, next).params;
    if (next == flops && i > 0) break;
    flops = next;
  }
  return flops;
}

}  // namespace flopscope
