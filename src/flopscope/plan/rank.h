// Ranking environments for one job (docs/transitions.md, "rank").
//
// Every candidate is run through the pipeline (run_job). A candidate is ranked only when it
// can run the job (its hardware has the dtype), the job fits in memory, it has a price, and
// it has a power figure when ranking by energy, it meets the deadline and the budget when given; the others are listed with the reason.
// Ranked candidates are sorted by the objective (time: seconds; cost: usd; energy: joules;
// ties by the other two). The Pareto front of time against cost holds the ranked candidates
// no other ranked candidate beats on both (as fast or faster and as cheap or cheaper, and
// strictly better on one).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flopscope/plan/job.h"

namespace flopscope {

enum class RankObjective { kTime, kCost, kEnergy };
Result<RankObjective> parse_rank_objective(std::string_view text, std::string_view field = "--objective");
const char* rank_objective_name(RankObjective o);

struct RankOptions {
  RankObjective objective = RankObjective::kTime;
  std::optional<double> seconds_deadline;
  std::optional<double> usd_budget;
};

struct RankEntry {
  std::string env;
  bool ran = false;           ///< false when the environment cannot run the job at all
  JobRun run;                 ///< meaningful when `ran`
  bool ranked = false;
  int rank = 0;               ///< 1 = best; 0 = not ranked
  bool pareto = false;        ///< on the time-cost Pareto front
  std::string reason;         ///< why not ranked: "does not fit: ...", "no price", ...
};

/// Ranks `envs` for `job`: ranked entries first (best first), then the others in input order.
std::vector<RankEntry> rank_environments(const TransformerSpec& spec, const Job& job,
                                         const std::vector<Environment>& envs, const RankOptions& options);

/// `env` with the fewest of `counts` devices (ascending) on which `job` fits, named
/// "<name>-x<N>" past one device; the largest count when none fits (its run then says why).
/// A 70B model served on H100s: 2 devices (tp 2). Errors: what run_job reports.
Result<Environment> scale_to_fit(const TransformerSpec& spec, const Job& job, const Environment& env,
                                 const std::vector<int64_t>& counts);

/// Indices of the points no other point dominates (minimising both coordinates).
std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& points);

/// "36h", "2d", "90m", "45s", "3600" (seconds): the deadline flag. Errors name `field`.
Result<double> parse_duration(std::string_view text, std::string_view field = "--deadline");

}  // namespace flopscope
