// `optimal`: the compute-optimal model size and token count for a budget given in FLOPs,
// GPU-hours or dollars, under each published scaling law (data/scaling/laws.toml) or one
// chosen with --law; with hardware, the time and cost to train; with --inference-tokens, the
// inference-aware optimum of Sardana et al. 2024; with --svg, iso-FLOP curves; with --model,
// an architecture trained on the budget, its FLOPs counted exactly.
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct OptimalOptions {
  double flops = 0;       ///< budget in training FLOPs (C = 6 N D)
  double gpu_hours = 0;   ///< or in device-hours of `hardware`
  double budget_usd = 0;  ///< or in US dollars on `hardware`
  std::string hardware;   ///< accelerator id, for time and cost
  double mfu = 0;         ///< (0, 1]; 0: predicted (scaling/cluster.h)
  double price = 0;       ///< US dollars per device-hour; 0: cheapest on-demand in the catalog
  double gpus = 0;        ///< devices of `hardware` (0: the smallest power-of-two cluster that fits)
  std::string law;        ///< a law id or a laws .toml file; empty: all
  double inference_tokens = -1;  ///< lifetime inference tokens (< 0: no inference-aware optimum)
  double inference_mfu = 0;
  std::string svg;        ///< write iso-FLOP curves here
  std::string model;      ///< also train this architecture on the budget
  int64_t seq = 4096;     ///< with `model`: training sequence length
};

/// The optimal document (docs/json-schema.md, "optimal") or its text report.
Result<Output> optimal(const OptimalOptions& options, const Render& render);

/// The JSON form: keys flops, gpu_hours, budget_usd, hardware, mfu, price, gpus (or
/// devices), law, inference_tokens, inference_mfu, svg, model, seq.
Result<OptimalOptions> optimal_options(const Json& options);

}  // namespace flopscope::api
