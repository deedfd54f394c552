#include "flopscope/api/ledger.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "flopscope/api/options.h"
#include "flopscope/ledger/check.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/jobs_file.h"
#include "flopscope/ledger/report.h"
#include "flopscope/ledger/open_ledger.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

Result<ReportOptions> report_options(const LedgerReportOptions& f) {
  ReportOptions o;
  if (f.period == "day") {
    o.period = LedgerPeriod::kDay;
  } else if (f.period != "month") {
    return bad_input("--period: expected day or month, got '" + f.period + "'");
  }
  if (f.cap && !(std::isfinite(*f.cap) && *f.cap > 0 && *f.cap <= kLedgerMaxUsd)) {
    return bad_input(fmt::format("--cap: expected dollars per month in (0, {}], got {}", kLedgerMaxUsd, *f.cap));
  }
  o.usd_cap_per_month = f.cap;
  if (f.window < 1 || f.window > 3660) {
    return bad_input(fmt::format("--window: expected days in [1, 3660], got {}", f.window));
  }
  o.days_burn_window = f.window;
  if (!(f.idle_util >= 0 && f.idle_util <= 100)) {
    return bad_input(fmt::format("--idle-util: expected a percent in [0, 100], got {}", f.idle_util));
  }
  o.percent_idle_utilization = f.idle_util;
  o.region = f.region;
  o.carbon_g_per_kwh = f.carbon_g_per_kwh;
  o.pue = f.pue;
  if (!f.jobs.empty()) {
    auto j = load_jobs_toml(f.jobs);
    if (!j) return j.error();
    o.jobs = *j;
  }
  return o;
}

Result<LedgerReport> build_report(const LedgerReportOptions& f) {
  auto o = report_options(f);
  if (!o) return o.error();
  LedgerOpenOptions existing;
  existing.create = false;  // a mistyped --db must not create an empty ledger
  auto store = open_ledger(f.db, existing);
  if (!store) return store.error();
  return make_ledger_report(**store, *o);
}

std::string usd(double v) { return v < 0 ? fmt::format("-${:.2f}", -v) : fmt::format("${:.2f}", v); }
std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", 100 * *v) : "-"; }

// First column left-aligned, the others right-aligned (numbers), a rule under the header.
Table numbers_table(const std::vector<std::string>& header) {
  std::vector<bool> right(header.size(), true);
  right[0] = false;
  return Table(header, right);
}

std::string report_text(const LedgerReport& r) {
  std::string out = fmt::format("Ledger: {} imports, {} billing rows, {} GPU samples, {} progress rows\n\n",
                                format_count(r.counts.imports), format_count(r.counts.costs),
                                format_count(r.counts.gpu_samples), format_count(r.counts.progress));
  out += fmt::format("Spend (EffectiveCost): {}   billed: {}\n\n", usd(r.usd_effective_total), usd(r.usd_billed_total));
  auto spend = [&out](const char* title, const char* key, const std::vector<SpendLine>& v) {
    if (v.empty()) return;
    out += std::string(title) + ":\n";
    Table t = numbers_table({key, "effective", "billed"});
    for (const SpendLine& s : v) t.add({s.key.empty() ? "(untagged)" : s.key, usd(s.usd_effective), usd(s.usd_billed)});
    out += t.render() + "\n";
  };
  spend("By job", "job", r.by_job);
  spend("By tag", "tag", r.by_tag);
  spend(r.period == LedgerPeriod::kDay ? "By day" : "By month", "period", r.by_period);
  if (r.burn) {
    const BurnRate& b = *r.burn;
    out += fmt::format("Burn rate: {}/day over the {} days to {}\n", usd(b.usd_per_day), b.days_window, b.day_as_of);
    out += fmt::format("{}: {} to date, {} projected for the month\n", b.month, usd(b.usd_month_to_date),
                       usd(b.usd_projected_month));
    if (b.usd_cap) {
      out += fmt::format("Cap {}/month: {}\n", usd(*b.usd_cap),
                         b.day_cap_reached ? "reached on " + *b.day_cap_reached : "not reached this month at this rate");
    }
    out += "\n";
  }
  if (!r.gpu_use.empty()) {
    out += fmt::format("GPU use (idle: utilization < {:g}%):\n", r.percent_idle_utilization);
    Table t = numbers_table({"job", "GPUs", "GPU-hours", "idle GPU-hours", "mean util"});
    for (const GpuUse& u : r.gpu_use) {
      t.add({u.job.empty() ? "(no job)" : u.job, std::to_string(u.gpus), fmt::format("{:.2f}", u.gpu_hours),
             fmt::format("{:.2f}", u.gpu_hours_idle),
             u.percent_mean_utilization ? fmt::format("{:.1f}%", *u.percent_mean_utilization) : "-"});
    }
    out += t.render() + "\n";
  }
  if (!r.mfu.empty()) {
    out += "MFU (model FLOPs, PaLM; predicted: predict train on one GPU at the job's micro-batch):\n";
    Table t = numbers_table({"job", "hardware", "throughput", "realized", "predicted", "note"});
    for (const JobMfu& m : r.mfu) {
      t.add({m.job, m.hardware.empty() ? "-" : fmt::format("{} x {}", m.gpus, m.hardware),
             format_si(m.tokens_per_second, "tok/s"), pct(m.mfu_realized), pct(m.mfu_predicted),
             m.note.empty() ? "" : m.note});
    }
    out += t.render();
  }
  if (!r.energy.empty()) {
    out += fmt::format("\nEnergy and carbon ({}):\n",
                       r.carbon ? fmt::format("{:g} gCO2e/kWh, {}", r.carbon->g_per_kwh, r.carbon->region.empty() ? "given" : r.carbon->region)
                                : "CO2e not known: give --region or --carbon-g-per-kwh");
    Table t({"job", "from", "GPU-hours", "kWh", "PUE", "CO2e", "note"}, {false, false, true, true, true, true, false});
    for (const JobEnergy& e : r.energy) {
      std::string co2 = "not known";
      if (e.grams_co2) {
        const double g = *e.grams_co2;
        co2 = g >= 1e6 ? fmt::format("{:.3g} t", g / 1e6) : g >= 1e3 ? fmt::format("{:.3g} kg", g / 1e3) : fmt::format("{:.3g} g", g);
      }
      t.add({e.job.empty() ? "(no job)" : e.job, e.source, fmt::format("{:.2f}", e.gpu_hours), fmt::format("{:.3g}", e.joules / 3.6e6),
             fmt::format("{:g}", e.pue), co2, e.note});
    }
    out += t.render();
  }
  return out;
}

void read_report(OptionsReader& r, LedgerReportOptions& o) {
  r.read("db", o.db).read("jobs", o.jobs).read("cap", o.cap).read("window", o.window).read("idle_util", o.idle_util);
  r.read("region", o.region).read("carbon_g_per_kwh", o.carbon_g_per_kwh).read("pue", o.pue);
}

}  // namespace

Result<Output> ledger_report(const LedgerReportOptions& o, const Render& render) {
  auto r = build_report(o);
  if (!r) return r.error();
  Output out;
  if (render.json) {
    out.json = ledger_report_json(*r);
  } else {
    out.text = report_text(*r);
  }
  return out;
}

Result<LedgerCheckOutput> ledger_check_findings(const LedgerCheckOptions& o, const Render& render) {
  if (!(o.idle_hours >= 0 && std::isfinite(o.idle_hours))) {
    return bad_input(fmt::format("--idle-hours: expected GPU-hours >= 0, got {}", o.idle_hours));
  }
  if (!(o.mfu_ratio > 0 && o.mfu_ratio <= 1)) {
    return bad_input(fmt::format("--mfu-ratio: expected a fraction in (0, 1], got {}", o.mfu_ratio));
  }
  auto r = build_report(o.report);
  if (!r) return r.error();
  auto findings = check_ledger(*r, {o.idle_hours, o.mfu_ratio});
  LedgerCheckOutput out;
  out.clean = findings.empty();
  if (render.json) {
    out.output.json = findings_json(findings);
  } else if (findings.empty()) {
    out.output.text = "ledger check: clean (no rule fired)\n";
  } else {
    for (const Finding& x : findings) out.output.text += x.rule + ": " + x.message + "\n";
  }
  return out;
}

Result<Output> ledger_check(const LedgerCheckOptions& o, const Render& render) {
  auto r = ledger_check_findings(o, render);
  if (!r) return r.error();
  return std::move(r->output);
}

Result<LedgerReportOptions> ledger_report_options(const Json& options) {
  LedgerReportOptions o;
  OptionsReader r(options, "ledger report");
  read_report(r, o);
  r.read("period", o.period);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

Result<LedgerCheckOptions> ledger_check_options(const Json& options) {
  LedgerCheckOptions o;
  OptionsReader r(options, "ledger check");
  read_report(r, o.report);
  r.read("idle_hours", o.idle_hours).read("mfu_ratio", o.mfu_ratio);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
