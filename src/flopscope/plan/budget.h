// Budget plans (docs/budget.md): a portfolio of jobs competing for a compute budget, read
// from a TOML file, priced through the timing engine (plan/budget_options.h) and scheduled
// by an integer program (plan/budget_solver.h).
//
// The portfolio file (docs/examples/portfolio.toml):
//
//   start = 2027-01-01             # optional: month 0 begins here; date deadlines count from it
//   months = 12                    # horizon in months, 1..kBudgetMaxMonths (default: the latest
//                                  # deadline or serving end, at least 1)
//   [budget]
//   usd = 40000                    # the cap (required), US dollars per period
//   period = "month"               # month | quarter | year (default month)
//
//   [env.h100]                     # an environment: every field of envs.toml (plan/environment.h)
//   hardware = "h100-sxm"
//   gpus = 16                      # GPUs available (required, 1..kBudgetMaxGpus)
//   reserved_gpu_hours_per_month = 2000   # already paid for: zero marginal cost (default 0)
//
//   [job.pretrain]
//   kind = "train"                 # train | finetune | eval | serve | retrain
//   model = "llama-3.2-1b"         # catalog name, HF id, config.json (relative to the file)
//   tokens = 2e10                  # train, finetune, retrain
//   seq = 2048                     # optional (train, finetune, retrain)
//   micro_batch = 1                # optional
//   deadline = 2027-04-01          # or deadline_months = 3 (required for train, finetune, eval)
//   priority = 5                   # positive integer, higher matters more (default 1)
//
//   eval:    requests (or tokens: requests = ceil(tokens / (prompt + output))), prompt, output,
//            batch (default 16)
//   serve:   rate (requests/s), prompt, output, slo_ttft_p95, slo_itl_p95 (seconds),
//            months (default: to the horizon); deadline = "live by" (default: month 1)
//   retrain: retrain = "full" | "finetune", tokens, per_year (runs per year, the number
//            `flopscope drift` reports as retrains_per_year); runs from its start to the
//            horizon; deadline = first run starts by (default: month 1)
//
// Every bad field gives one line naming the file, the field and what was expected
// ("portfolio.toml: job.pretrain.tokens: expected a positive number, got -1").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/plan/environment.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Size limits (docs/budget.md, "Limits"): a portfolio past them is refused, so the integer
/// program stays small enough for GLPK to solve within its time limit.
inline constexpr int64_t kBudgetMaxJobs = 40;
inline constexpr int64_t kBudgetMaxEnvs = 8;
inline constexpr int64_t kBudgetMaxMonths = 36;
inline constexpr int64_t kBudgetMaxGpus = 4096;
/// Largest device count one option tries (the training planner's search grows with it).
inline constexpr int64_t kBudgetMaxDevicesPerOption = 256;
/// Hours in a planning month: 8760 / 12.
inline constexpr double kBudgetHoursPerMonth = 730;

enum class BudgetJobKind { kTrain, kFinetune, kEval, kServe, kRetrain };
const char* budget_job_kind_name(BudgetJobKind k);

enum class BudgetPeriod { kMonth, kQuarter, kYear };
const char* budget_period_name(BudgetPeriod p);
/// Months in a period: 1, 3, 12.
int64_t budget_period_months(BudgetPeriod p);

struct BudgetEnv {
  Environment env;              ///< devices is set per option
  int64_t gpus = 0;             ///< available at once
  double reserved_gpu_hours_per_month = 0;
};

struct BudgetJob {
  std::string name;
  BudgetJobKind kind = BudgetJobKind::kTrain;
  std::string model;             ///< as written
  std::string model_path;        ///< resolved: a file relative to the portfolio, or the name
  int64_t priority = 1;
  double deadline_months = 0;    ///< train/finetune/eval: done by; serve/retrain: started by
  // train, finetune, retrain
  double tokens = 0;
  int64_t seq = 2048;
  int64_t micro_batch = 1;
  // eval
  int64_t requests = 0;
  int64_t batch = 16;
  // eval, serve
  int64_t prompt = 0;
  int64_t output = 0;
  // serve
  double rate = 0;
  double slo_ttft_p95 = 0;
  double slo_itl_p95 = 0;
  double months = 0;             ///< serve: how long it runs (0 = to the horizon)
  // retrain
  bool retrain_full = true;
  double per_year = 0;
};

struct Portfolio {
  std::string origin;
  std::string start;             ///< "2027-01-01" or ""
  int64_t months = 0;            ///< horizon
  double usd_cap = 0;            ///< per period
  BudgetPeriod period = BudgetPeriod::kMonth;
  std::vector<BudgetEnv> envs;
  std::vector<BudgetJob> jobs;
};

/// Parses a portfolio; `folder` resolves relative model paths. Errors name origin and field.
Result<Portfolio> parse_portfolio(std::string_view toml_text, std::string_view origin, std::string_view folder = "");
/// Reads and parses a file (profiles of its environments loaded, as load_environments does).
Result<Portfolio> load_portfolio(const std::string& path);

}  // namespace flopscope
