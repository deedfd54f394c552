// The options of a budget plan (docs/budget.md, "Options"): for each job of a portfolio
// (plan/budget.h), each environment and each device count, what the job takes there, from
// the timing engine through the existing planners; nothing is entered by hand.
//
//   train, finetune, retrain: run_job (plan/job.h) on N devices, N = 1, 2, 4, ... up to
//       min(gpus, kBudgetMaxDevicesPerOption): one device through predict(), more through the
//       training-layout planner's best layout (plan/train_planner.h).
//   eval:  run_job in inference mode (batches of `batch` requests, replicas of the smallest
//       tensor-parallel degree that fits), N as for training.
//   serve: find_capacity (plan/serving_capacity.h) on one replica of tp = 1, 2, 4, 8 devices
//       (the first tp that meets both p95 targets), replicas = ceil(rate / max rate per
//       replica), devices = replicas x tp.
//
// An option is kept with the reason it cannot be used: "memory" (does not fit), "deadline"
// (a run ends after the deadline, or a retraining run takes longer than the gap between runs),
// "latency" (no engine setting meets the targets), "gpus" (needs more than the environment
// has), "price" (no price for the environment).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "flopscope/model/transformer_spec.h"
#include "flopscope/plan/budget.h"

namespace flopscope {

struct BudgetOption {
  size_t job = 0;                ///< index into Portfolio::jobs
  size_t env = 0;                ///< index into Portfolio::envs
  int64_t devices = 0;
  std::string layout;            ///< "tp 2 pp 1 dp 4 zero 1", "tp 2 x 3 replicas", ""
  std::string fit_note;
  bool usable = false;
  std::string reason_kind;       ///< "" when usable; memory, deadline, latency, gpus, price
  std::string reason;            ///< one line
  /// train, finetune, eval: one whole run; retrain: one run; serve: 0.
  double seconds = 0;
  double usd_per_device_hour = 0;
  std::string price_source;
  /// Energy and carbon of one run (train, finetune, eval, retrain) or of one month (serve).
  double joules = 0;
  bool energy_known = false;
  double grams_co2 = 0;          ///< 0 when the environment gives no carbon_g_per_kwh
  double mfu = 0;
  // serve
  int64_t tp = 0;
  int64_t replicas = 0;
  double max_rate_per_replica = 0;

  /// Months one run occupies (seconds / 3600 / kBudgetHoursPerMonth).
  double run_months() const;
};

/// Start months an option may take within `horizon` months (empty when it cannot run).
std::vector<int64_t> budget_starts(const BudgetJob& job, const BudgetOption& o, int64_t horizon);

/// GPU-hours per month (horizon entries) of `o` started at month `start`:
///   train, finetune, eval: devices x kBudgetHoursPerMonth x overlap of [start, start + run_months)
///   serve:   devices x kBudgetHoursPerMonth x overlap of [start, start + months or the horizon)
///   retrain: devices x seconds / 3600 x per_year / 12 in each month from start on
std::vector<double> budget_gpu_hours(const BudgetJob& job, const BudgetOption& o, int64_t start, int64_t horizon);

/// Told which job and environment is being priced; may be empty.
using BudgetProgress = std::function<void(const std::string&)>;

/// Every option of every job. `specs` maps each job's model_path to its loaded spec.
/// Errors: a dtype the hardware lacks and the planners' own errors on bad sizes.
Result<std::vector<BudgetOption>> budget_options(const Portfolio& portfolio,
                                                 const std::map<std::string, TransformerSpec>& specs,
                                                 const BudgetProgress& progress = {});

}  // namespace flopscope
