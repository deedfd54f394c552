// `ledger report` and `ledger check`: spend by job, tag and period, burn rate and cap,
// realized against predicted MFU, and the waste rules (ledger/; docs/ledger.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct LedgerReportOptions {
  std::string db;               ///< the ledger: an SQLite file or a postgresql:// URL (open_ledger); must exist
  std::string jobs;             ///< jobs file (TOML): model, hardware, gpus, micro_batch, seq, usd_plan
  std::string period = "month"; ///< day or month
  std::optional<double> cap;    ///< monthly spending cap, US dollars
  int64_t window = 7;           ///< days of spend the burn rate averages
  double idle_util = 10;        ///< utilization (percent) under which a GPU counts as idle
  std::string region;           ///< grid region for CO2e (data/carbon/grid.toml)
  double carbon_g_per_kwh = 0;  ///< grid intensity, gCO2e/kWh (over region)
  double pue = 0;               ///< data-centre PUE (0: data/hardware/power.toml's default)
};

struct LedgerCheckOptions {
  LedgerReportOptions report;
  double idle_hours = 1.0;      ///< idle GPU-hours a job may have
  double mfu_ratio = 0.5;       ///< flag realized MFU under this fraction of predicted
};

/// The ledger report document (docs/ledger.md) or its text.
Result<Output> ledger_report(const LedgerReportOptions& options, const Render& render);

/// The check's findings ({"findings": [...]}) or one line per finding; `clean` is false when
/// a rule fired (the CLI then exits 1).
struct LedgerCheckOutput {
  Output output;
  bool clean = true;
};
Result<LedgerCheckOutput> ledger_check_findings(const LedgerCheckOptions& options, const Render& render);

/// ledger_check_findings' output alone (the JSON form).
Result<Output> ledger_check(const LedgerCheckOptions& options, const Render& render);

/// The JSON forms: keys db, jobs, period, cap, window, idle_util, region, carbon_g_per_kwh,
/// pue (report); those but period,
/// and idle_hours, mfu_ratio (check).
Result<LedgerReportOptions> ledger_report_options(const Json& options);
Result<LedgerCheckOptions> ledger_check_options(const Json& options);

}  // namespace flopscope::api
