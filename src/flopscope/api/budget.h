// `budget plan`: a portfolio of jobs under a budget (plan/budget.h): every job priced on
// every environment and device count through the timing engine (plan/budget_options.h),
// scheduled by an integer program solved by GLPK (plan/budget_solver.h). docs/budget.md.
#pragma once

#include <functional>
#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct BudgetPlanOptions {
  std::string file;  ///< the portfolio (TOML)
  /// Or the portfolio itself, as the server and the page pass it (JSON key `portfolio`): its
  /// jobs name catalog models only and its environments no profile file, so nothing is read
  /// from disk. Exactly one of file and text.
  std::string text;
  /// Told which job is being priced, for a person watching; may be empty.
  std::function<void(const std::string&)> progress;
};

/// The budget plan document (docs/budget.md, "JSON") or its text report. A portfolio the
/// plan cannot schedule at all is still a result (every job in left_out, with its reason).
Result<Output> budget_plan(const BudgetPlanOptions& options, const Render& render);

/// The JSON form: key file, or portfolio (the TOML text).
Result<BudgetPlanOptions> budget_plan_options(const Json& options);

}  // namespace flopscope::api
