#include "flopscope/ledger/check.h"

#include <fmt/format.h>

namespace flopscope {
namespace {
std::string job_name(const std::string& job) { return job.empty() ? "(no job)" : job; }
}  // namespace

std::vector<Finding> check_ledger(const LedgerReport& r, const CheckOptions& o) {
  std::vector<Finding> out;
  for (const GpuUse& u : r.gpu_use) {
    if (u.gpu_hours_idle > o.gpu_hours_idle_max) {
      out.push_back({"idle-gpu", u.job,
                     fmt::format("{}: {:.2f} GPU-hours below {:g}% utilization (of {:.2f}; allowed {:g})",
                                 job_name(u.job), u.gpu_hours_idle, r.percent_idle_utilization, u.gpu_hours,
                                 o.gpu_hours_idle_max),
                     u.gpu_hours_idle, o.gpu_hours_idle_max});
    }
  }
  for (const JobMfu& m : r.mfu) {
    if (m.mfu_realized && m.mfu_predicted && *m.mfu_realized < o.mfu_ratio_min * *m.mfu_predicted) {
      out.push_back({"low-mfu", m.job,
                     fmt::format("{}: realized MFU {:.1f}% is under {:g} x the predicted {:.1f}%", job_name(m.job),
                                 100 * *m.mfu_realized, o.mfu_ratio_min, 100 * *m.mfu_predicted),
                     *m.mfu_realized, o.mfu_ratio_min * *m.mfu_predicted});
    }
  }
  for (const JobMeta& j : r.jobs) {
    if (!j.usd_plan) continue;
    double spent = 0;
    for (const SpendLine& s : r.by_job) {
      if (s.key == j.job) spent = s.usd_effective;
    }
    if (spent > *j.usd_plan) {
      out.push_back({"over-plan", j.job,
                     fmt::format("{}: spent ${:.2f}, above the plan of ${:.2f}", j.job, spent, *j.usd_plan), spent,
                     *j.usd_plan});
    }
  }
  if (r.burn && r.burn->usd_cap) {
    const BurnRate& b = *r.burn;
    if (b.usd_month_to_date > *b.usd_cap) {
      out.push_back({"over-cap", "",
                     fmt::format("{}: spent ${:.2f} by {}, above the monthly cap of ${:.2f} (reached {})", b.month,
                                 b.usd_month_to_date, b.day_as_of, *b.usd_cap, b.day_cap_reached.value_or("?")),
                     b.usd_month_to_date, *b.usd_cap});
    } else if (b.usd_projected_month > *b.usd_cap) {
      out.push_back({"cap-projected", "",
                     fmt::format("{}: at ${:.2f}/day the month ends at ${:.2f}, above the cap of ${:.2f} (reached {})",
                                 b.month, b.usd_per_day, b.usd_projected_month, *b.usd_cap,
                                 b.day_cap_reached.value_or("?")),
                     b.usd_projected_month, *b.usd_cap});
    }
  }
  return out;
}

nlohmann::json findings_json(const std::vector<Finding>& findings) {
  nlohmann::json a = nlohmann::json::array();
  for (const Finding& f : findings) {
    a.push_back({{"rule", f.rule}, {"job", f.job}, {"message", f.message}, {"value", f.value}, {"threshold", f.threshold}});
  }
  return {{"findings", a}, {"clean", findings.empty()}};
}

}  // namespace flopscope
