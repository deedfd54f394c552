// `ledger report`: spend by job, tag and period; burn rate and the day a monthly cap is
// reached at that rate; GPU-hours and idle GPU-hours; realized MFU per job against the MFU
// the timing engine predicts for the same model, hardware and micro-batch.
//
// Formulas (docs/ledger.md, "Report"):
//   spend                 sum of EffectiveCost (BilledCost beside it), by ChargePeriodStart's UTC day
//   usd_per_day           spend of the last `days_burn_window` days up to the last day with spend
//                         (as_of), divided by the window
//   usd_projected_month   month-to-date + usd_per_day x days left in as_of's month
//   day_cap_reached       the first day on which month-to-date + usd_per_day x days >= cap
//                         (a past day when the cap is already spent; none past the month's end)
//   GPU-hours             each sample lasts until the next one of the same GPU, at most twice
//                         the series' median interval; the last one lasts one median interval
//   idle GPU-hours        GPU-hours of samples with utilization < percent_idle_utilization
//   mfu_realized          tokens / seconds x model FLOPs per token / (gpus x dense peak of the dtype),
//                         with the prediction's model FLOPs per token (6 x params plus attention,
//                         PaLM); from total_flos / seconds when a Trainer log has no token count
//   mfu_predicted         predict() of one training step on one GPU at the job's micro_batch and seq
//   energy (per job)      telemetry: sum of power.draw x each sample's duration (the GPU-hours rule
//                         above) x PUE, over the samples that carry power; else predicted: gpus x
//                         P(u) x progress seconds x PUE, with P(u) = idle + (board - idle) x u from
//                         data/hardware/power.toml and u the predicted step's busy fraction
//                         (plan/energy.h's definition); PUE given or power.toml's default
//   grams_co2             kWh x the grid intensity of --region (data/carbon/grid.toml) or the
//                         given gCO2e/kWh; not known without either
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/ledger/ledger_store.h"
#include "flopscope/ledger/records.h"

namespace flopscope {

enum class LedgerPeriod { kDay, kMonth };

struct ReportOptions {
  LedgerPeriod period = LedgerPeriod::kMonth;
  std::optional<double> usd_cap_per_month;
  int64_t days_burn_window = 7;
  double percent_idle_utilization = 10;
  std::vector<JobMeta> jobs;  ///< a jobs file's entries, merged over the ledger's own (jobs_file.h)
  std::string region;           ///< grid region for CO2e (data/carbon/grid.toml); "" = not known
  double carbon_g_per_kwh = 0;  ///< > 0: given intensity, over `region`
  double pue = 0;               ///< >= 1 when given; 0 = data/hardware/power.toml's default
};

struct SpendLine {
  std::string key;  ///< job, "key=value" tag, or period ("2024-09", "2024-09-01")
  double usd_effective = 0;
  double usd_billed = 0;
};

struct BurnRate {
  std::string day_as_of;          ///< last day with spend
  int64_t days_window = 0;
  double usd_per_day = 0;
  std::string month;              ///< as_of's month, "2024-09"
  double usd_month_to_date = 0;
  double usd_projected_month = 0;
  std::optional<double> usd_cap;
  std::optional<std::string> day_cap_reached;  ///< none: not within the month at this rate
};

struct JobMfu {
  std::string job;
  std::string model, hardware;
  int64_t gpus = 0;
  double tokens = 0;
  double seconds = 0;
  double tokens_per_second = 0;
  std::optional<double> mfu_realized;
  std::optional<double> mfu_predicted;
  std::string note;  ///< why a figure is missing ("no jobs entry with model, hardware and gpus")
};

struct GpuUse {
  std::string job;  ///< "" for samples imported without --job
  int64_t gpus = 0;  ///< distinct (host, gpu) series
  int64_t samples = 0;
  double gpu_hours = 0;
  double gpu_hours_idle = 0;
  std::optional<double> percent_mean_utilization;  ///< time-weighted
  double gpu_hours_with_power = 0;  ///< GPU-hours of samples that carry power.draw
  double joules_device = 0;         ///< their power x duration (device energy, no PUE)
};

/// A job's energy and carbon (see the header comment for the two sources).
struct JobEnergy {
  std::string job;
  std::string source;        ///< "telemetry" or "predicted"
  double gpu_hours = 0;      ///< the GPU-hours the energy covers
  double joules = 0;         ///< facility energy (PUE included)
  double pue = 1;
  std::optional<double> grams_co2;
  std::string note;          ///< caveats ("board power throughout (no idle figure): an upper bound")
};

/// The grid intensity the report charges (none: CO2e not known).
struct ReportCarbon {
  double g_per_kwh = 0;
  std::string region;  ///< "" when given as a number
  std::string source;  ///< "given" or the grid file's citation
};

struct LedgerReport {
  LedgerCounts counts;
  double usd_effective_total = 0;
  double usd_billed_total = 0;
  LedgerPeriod period = LedgerPeriod::kMonth;
  std::vector<SpendLine> by_job;     ///< "" = untagged
  std::vector<SpendLine> by_tag;
  std::vector<SpendLine> by_period;
  std::optional<BurnRate> burn;      ///< none without billing rows
  std::vector<JobMfu> mfu;
  std::vector<GpuUse> gpu_use;
  std::vector<JobMeta> jobs;         ///< the merged job facts (for usd_plan)
  double percent_idle_utilization = 10;
  std::vector<JobEnergy> energy;     ///< per job with telemetry power or a prediction
  std::optional<ReportCarbon> carbon;
};

/// Builds the report from the store. Errors: a store failure, a jobs entry whose model or
/// hardware is unknown ("jobs: llama-8b: hardware: unknown hardware 'h10', did you mean ..."),
/// an unknown region ("--region: unknown region 'x', did you mean ...").
Result<LedgerReport> make_ledger_report(LedgerStore& store, const ReportOptions& options);

/// The report as the `ledger report --json` document (docs/ledger.md gives its fields).
nlohmann::json ledger_report_json(const LedgerReport& r);

/// The burn rate of a series of daily spend (exposed for tests): see the header comment.
BurnRate burn_rate(const std::vector<DailySpend>& days, int64_t days_window, std::optional<double> usd_cap);

/// GPU use by job from samples ordered by host, gpu, time (exposed for tests).
std::vector<GpuUse> gpu_use(const std::vector<GpuSample>& samples, double percent_idle_utilization);

}  // namespace flopscope
