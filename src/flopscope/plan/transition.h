// Transition scores: what moving a job from one environment to another gains or loses
// (docs/transitions.md).
//
//   speedup       = seconds_from / seconds_to                 (> 1: faster)
//   cost_ratio    = (usd_to / work) / (usd_from / work)       (< 1: cheaper per unit of work)
//   energy_ratio  = joules_to / joules_from                   (< 1: less energy)
//   transition_score = speedup^w_time * (1 / cost_ratio)^w_cost   (default weights 0.5, 0.5;
//                      > 1 is a gain). score(A -> B) * score(B -> A) = 1 by construction.
//
// Factors: the change is made one group of fields at a time, each intermediate environment
// run through the pipeline (run_job), in this order:
//   hardware   hardware id, device count, interconnect, calibration profile, watts, idle_watts
//   precision  compute dtype and weight dtype
//   software   software stack and flash attention
//   price      provider, pricing, usd_per_device_hour, PUE, grid carbon intensity and region
// Each factor is the ratio between consecutive steps, so the factors' product is the whole
// (it telescopes). Before the price step, an intermediate environment prices its hardware
// with the "from" environment's provider and pricing (or, when that offers nothing for the
// new hardware, with the "to" environment's price). An intermediate environment that cannot
// run (a dtype the hardware lacks) is skipped: its change merges into the next factor,
// named "hardware+precision".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flopscope/plan/job.h"

namespace flopscope {

struct TransitionWeights {
  double time = 0.5;
  double cost = 0.5;
};

/// One-time costs of moving: data egress and engineering time.
struct MigrationCosts {
  double gb_egress = 0;
  double usd_per_gb_egress = 0.09;  ///< AWS internet egress, first 10 TB/month (aws.amazon.com/ec2/pricing/on-demand, 2025)
  double engineer_hours = 0;
  double usd_per_engineer_hour = 100;  ///< an assumption: set --usd-per-engineer-hour
  double usd() const { return gb_egress * usd_per_gb_egress + engineer_hours * usd_per_engineer_hour; }
};

/// Ratios of one change (or of the whole transition).
struct TransitionRatios {
  double speedup = 1;
  double cost_ratio = 1;    ///< NaN when a price is unknown
  double energy_ratio = 1;
  double transition_score = 1;  ///< NaN when cost_ratio is
};

struct TransitionFactor {
  std::string name;  ///< "hardware", "precision", "software", "price", or merged "hardware+precision"
  TransitionRatios ratios;
};

struct Transition {
  JobRun from, to;
  TransitionRatios whole;
  std::vector<TransitionFactor> factors;  ///< product of each ratio = whole
  std::vector<JobRun> steps;              ///< from, intermediates that ran, to
  MigrationCosts migration;
  /// Runs of the job on the new environment until the one-time cost is paid back by the
  /// savings per run (nullopt: it never is, or there is nothing to pay back).
  std::optional<double> break_even_runs;
  std::optional<double> break_even_seconds;  ///< break_even_runs x seconds on the new environment
};

/// The ratios of `to` against `from` (same job) with `weights`.
TransitionRatios ratios(const JobRun& from, const JobRun& to, const TransitionWeights& weights);

/// Moves `job` from `from` to `to`. Errors: either endpoint cannot run the job.
Result<Transition> transition(const TransformerSpec& spec, const Job& job, const Environment& from,
                              const Environment& to, const TransitionWeights& weights = {},
                              const MigrationCosts& migration = {});

}  // namespace flopscope
