// The integer program of a budget plan (docs/budget.md, "The integer program"), solved by
// GLPK (libglpk-dev; its branch and cut, presolve on, terminal output off).
//
// Variables: x[o, s] in {0, 1} for each usable option o (plan/budget_options.h) and each
// start month s it may take; paid[e, m] >= 0, the GPU-hours of environment e in month m
// that are paid for (above the reserved hours).
// Constraints:
//   each job:          sum over its (o, s) of x <= 1
//   GPUs:              used[e, m] = sum of x[o, s] h[o, s, m] <= gpus_e x kBudgetHoursPerMonth
//   reserved capacity: paid[e, m] >= used[e, m] - reserved_e        (reserved hours cost nothing)
//   the cap:           sum over the months m of each period of sum_e price_e paid[e, m] <= cap
// Objective, lexicographic: first maximize the scheduled value V = sum of priority x; then,
// with V >= V*, minimize the cost sum price_e paid[e, m] (plus $0.01 per month of start, so
// that of equal plans the earlier one wins).
// Left out: a job with no usable option takes the reason of its options (memory when none
// fits, else deadline, latency, gpus or price). A job with usable options that the plan
// leaves out is re-solved with the cap free: min C such that every period spends <= C, the
// job is scheduled and V >= V* + its priority. Found: reason "cap", and C is what the next
// dollar buys (the cap at which it becomes schedulable, without dropping anything). Not
// found: reason "gpus" (the GPU limits cannot hold it beside what is scheduled).
// Limits: each GLPK solve stops after kBudgetSolveSeconds, all solves together after
// kBudgetTotalSeconds; at most kBudgetMaxVariables binaries. A solve stopped by its time limit
// keeps the best plan found and says it is not proven optimal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/plan/budget_options.h"

namespace flopscope {

inline constexpr double kBudgetSolveSeconds = 10;
inline constexpr double kBudgetTotalSeconds = 60;
inline constexpr int64_t kBudgetMaxVariables = 20000;

struct BudgetJobPlan {
  size_t job = 0;
  bool scheduled = false;
  size_t option = 0;                 ///< index into the options, when scheduled
  int64_t start = 0;                 ///< month
  double months = 0;                 ///< months it occupies GPUs (from start)
  double runs = 1;                   ///< retrain: runs within the horizon
  double usd = 0;                    ///< paid: list cost less its share of reserved hours
  double usd_list = 0;               ///< every GPU-hour at the environment's price
  double gpu_hours = 0;
  double joules = 0;
  bool energy_known = false;
  double grams_co2 = 0;
  std::vector<double> usd_by_month, gpu_hours_by_month;
  std::string reason_kind;           ///< when not scheduled: cap, gpus, deadline, memory, latency, price
  std::string reason;
};

struct BudgetMonth {
  double usd = 0;
  std::vector<double> gpu_hours_by_env;      ///< used
  std::vector<double> reserved_hours_by_env; ///< of the used, covered by the reserved hours
};

/// A job left out for the cap, and what it would take.
struct BudgetNextDollar {
  size_t job = 0;
  double usd_cap = 0;      ///< the cap per period at which it is scheduled with everything else
  double usd_extra = 0;    ///< usd_cap - the cap
  double usd_total_extra = 0;  ///< added spend over the horizon
};

struct BudgetPlan {
  bool optimal = true;           ///< false: a time limit stopped a solve; the best plan found
  std::string solver_note;
  int64_t value = 0;             ///< sum of the scheduled jobs' priorities
  int64_t value_possible = 0;    ///< of every job
  double usd_total = 0;
  double usd_list_total = 0;
  double gpu_hours_total = 0;
  double joules_total = 0;       ///< of the scheduled jobs whose energy is known
  double grams_co2_total = 0;
  int64_t variables = 0, constraints = 0, solves = 0;
  std::vector<BudgetJobPlan> jobs;   ///< in portfolio order
  std::vector<BudgetMonth> months;   ///< horizon entries
  std::vector<BudgetNextDollar> next_dollar;  ///< cheapest first
};

/// "GLPK 5.0": the solver and the version linked.
std::string budget_solver_name();

/// Solves the program. Errors: more than kBudgetMaxVariables binaries (bad input), GLPK failing
/// to solve the first program (failure).
Result<BudgetPlan> solve_budget(const Portfolio& portfolio, const std::vector<BudgetOption>& options);

}  // namespace flopscope
