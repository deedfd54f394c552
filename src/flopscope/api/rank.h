// `rank`: every environment that can run a workload, ranked by time, cost or energy, with
// the Pareto front of time against cost (plan/rank.h, docs/transitions.md).
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/transition.h"

namespace flopscope::api {

struct RankOptions : WorkloadOptions {
  std::string envs;                ///< TOML file of named environments (empty: every priced catalog accelerator)
  bool with_catalog = false;       ///< with `envs`: also every priced catalog accelerator
  int64_t devices = 0;             ///< per catalog candidate; 0: the fewest of 1, 2, 4, 8 that fit
  std::string deadline;            ///< leave out what takes longer: 36h, 2d, 90m, 3600
  double budget_usd = 0;           ///< leave out what costs more (0: no limit)
  std::string objective = "time";  ///< time, cost or energy
  std::string svg;                 ///< write the time-cost scatter here
};

/// The rank document (docs/transitions.md) or its text report.
Result<Output> rank(const RankOptions& options, const Render& render);

/// The JSON form: the workload keys (api/transition.h) and envs, with_catalog, devices,
/// deadline, budget_usd, objective, svg.
Result<RankOptions> rank_options(const Json& options);

}  // namespace flopscope::api
