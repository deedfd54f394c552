// `ledger check`: rules over a ledger report that find waste. Each finding names its rule,
// the job and the figures; the CLI exits 1 when there is any (for cron and CI).
//   idle-gpu      a job's GPU-hours below utilization_percent exceed gpu_hours_idle_max
//   low-mfu       realized MFU < mfu_ratio_min x predicted MFU
//   over-plan     a job's spend > its usd_plan (jobs file)
//   over-cap      month-to-date spend > the monthly cap
//   cap-projected month-to-date + burn rate x days left > the monthly cap (not yet over)
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/ledger/report.h"

namespace flopscope {

struct CheckOptions {
  double gpu_hours_idle_max = 1.0;  ///< idle GPU-hours a job may have before idle-gpu fires
  double mfu_ratio_min = 0.5;       ///< low-mfu fires below this fraction of the predicted MFU
};

struct Finding {
  std::string rule;
  std::string job;
  std::string message;  ///< one line with the figures
  double value = 0;
  double threshold = 0;
};

/// The findings, in rule order. Reads the thresholds of the report itself (idle utilization,
/// cap) from the ReportOptions it was made with.
std::vector<Finding> check_ledger(const LedgerReport& report, const CheckOptions& options);

nlohmann::json findings_json(const std::vector<Finding>& findings);

}  // namespace flopscope
