// `flopscope ledger import | report | check`: the ledger of actual spend (docs/ledger.md).
// Thin: flags -> flopscope/ledger -> print. Results on stdout, one-line diagnostics on
// stderr; exit 0 ok, 1 a check rule fired (or a failure), 2 bad input.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "flopscope/ledger/check.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/import.h"
#include "flopscope/ledger/jobs_file.h"
#include "flopscope/ledger/report.h"
#include "flopscope/ledger/sqlite_ledger.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

// Opens an existing ledger (report, check): a mistyped path must not create an empty one.
Result<std::unique_ptr<SqliteLedger>> open_existing(const std::string& db) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    return not_found(db + ": cannot open ledger: no such file (create it with flopscope ledger import --db " + db + ")");
  }
  return SqliteLedger::open(db);
}

// ---------------------------------------------------------------------------- import

struct ImportFlags {
  std::string db;
  std::vector<std::string> files;
  std::string format, job, host, job_tag = "job", time;
  bool json = false;
};

int run_import(const ImportFlags& f) {
  ImportOptions o;
  if (!f.format.empty()) {
    auto fmt_ = parse_ledger_format(f.format);
    if (!fmt_) return report_error(fmt_.error());
    o.format = *fmt_;
  }
  if (!f.time.empty()) {
    auto t = parse_utc_time(f.time);
    if (!t) return report_error(bad_input("--time: " + t.error().message));
    o.unix_seconds_scrape = *t;
  }
  if (f.job_tag.empty()) return report_error(bad_input("--job-tag: expected a tag key, got ''"));
  o.job = f.job;
  o.host = f.host;
  o.job_tag = f.job_tag;
  auto store = SqliteLedger::open(f.db);
  if (!store) return report_error(store.error());
  int rc = 0;
  nlohmann::json imports = nlohmann::json::array(), refused = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const std::string& file : f.files) {
    auto r = import_file(**store, file, o);
    if (!r) {
      rc = std::max(rc, report_error(r.error()));
      refused.push_back({{"path", file}, {"error", r.error().message}});
      continue;
    }
    imports.push_back({{"path", r->path},
                       {"format", std::string(ledger_format_name(r->format))},
                       {"already_imported", r->already_imported},
                       {"rows_read", r->rows_read},
                       {"rows_added", r->rows_added}});
    rows.push_back({r->path, std::string(ledger_format_name(r->format)),
                    r->already_imported ? "-" : format_count(r->rows_read),
                    r->already_imported ? "0" : format_count(r->rows_added),
                    r->already_imported ? "already imported" : "imported"});
  }
  if (f.json) {
    print_json({{"db", f.db}, {"imports", imports}, {"refused", refused}});
  } else if (!rows.empty()) {
    print_table({"file", "format", "rows", "new", "status"}, rows);
  }
  return rc;
}

// ---------------------------------------------------------------------------- report

struct ReportFlags {
  std::string db, jobs, period = "month";
  std::optional<double> cap;
  int64_t window = 7;
  double idle_util = 10;
  bool json = false;
  // check only
  double idle_hours = 1.0;
  double mfu_ratio = 0.5;
};

Result<ReportOptions> report_options(const ReportFlags& f) {
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
  if (!f.jobs.empty()) {
    auto j = load_jobs_toml(f.jobs);
    if (!j) return j.error();
    o.jobs = *j;
  }
  return o;
}

std::string usd(double v) { return v < 0 ? fmt::format("-${:.2f}", -v) : fmt::format("${:.2f}", v); }
std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.1f}%", 100 * *v) : "-"; }

void print_report(const LedgerReport& r) {
  std::cout << fmt::format("Ledger: {} imports, {} billing rows, {} GPU samples, {} progress rows\n\n",
                           format_count(r.counts.imports), format_count(r.counts.costs),
                           format_count(r.counts.gpu_samples), format_count(r.counts.progress));
  std::cout << fmt::format("Spend (EffectiveCost): {}   billed: {}\n\n", usd(r.usd_effective_total), usd(r.usd_billed_total));
  auto table = [](const char* title, const char* key, const std::vector<SpendLine>& v) {
    if (v.empty()) return;
    std::cout << title << ":\n";
    std::vector<std::vector<std::string>> rows;
    for (const SpendLine& s : v) rows.push_back({s.key.empty() ? "(untagged)" : s.key, usd(s.usd_effective), usd(s.usd_billed)});
    print_table({key, "effective", "billed"}, rows);
    std::cout << "\n";
  };
  table("By job", "job", r.by_job);
  table("By tag", "tag", r.by_tag);
  table(r.period == LedgerPeriod::kDay ? "By day" : "By month", "period", r.by_period);
  if (r.burn) {
    const BurnRate& b = *r.burn;
    std::cout << fmt::format("Burn rate: {}/day over the {} days to {}\n", usd(b.usd_per_day), b.days_window, b.day_as_of);
    std::cout << fmt::format("{}: {} to date, {} projected for the month\n", b.month, usd(b.usd_month_to_date),
                             usd(b.usd_projected_month));
    if (b.usd_cap) {
      std::cout << fmt::format("Cap {}/month: {}\n", usd(*b.usd_cap),
                               b.day_cap_reached ? "reached on " + *b.day_cap_reached : "not reached this month at this rate");
    }
    std::cout << "\n";
  }
  if (!r.gpu_use.empty()) {
    std::cout << fmt::format("GPU use (idle: utilization < {:g}%):\n", r.percent_idle_utilization);
    std::vector<std::vector<std::string>> rows;
    for (const GpuUse& u : r.gpu_use) {
      rows.push_back({u.job.empty() ? "(no job)" : u.job, std::to_string(u.gpus), fmt::format("{:.2f}", u.gpu_hours),
                      fmt::format("{:.2f}", u.gpu_hours_idle),
                      u.percent_mean_utilization ? fmt::format("{:.1f}%", *u.percent_mean_utilization) : "-"});
    }
    print_table({"job", "GPUs", "GPU-hours", "idle GPU-hours", "mean util"}, rows);
    std::cout << "\n";
  }
  if (!r.mfu.empty()) {
    std::cout << "MFU (model FLOPs, PaLM; predicted: predict train on one GPU at the job's micro-batch):\n";
    std::vector<std::vector<std::string>> rows;
    for (const JobMfu& m : r.mfu) {
      rows.push_back({m.job, m.hardware.empty() ? "-" : fmt::format("{} x {}", m.gpus, m.hardware),
                      format_si(m.tokens_per_second, "tok/s"), pct(m.mfu_realized), pct(m.mfu_predicted),
                      m.note.empty() ? "" : m.note});
    }
    print_table({"job", "hardware", "throughput", "realized", "predicted", "note"}, rows);
  }
}

Result<LedgerReport> build_report(const ReportFlags& f) {
  auto o = report_options(f);
  if (!o) return o.error();
  auto store = open_existing(f.db);
  if (!store) return store.error();
  return make_ledger_report(**store, *o);
}

int run_report(const ReportFlags& f) {
  auto r = build_report(f);
  if (!r) return report_error(r.error());
  if (f.json) {
    print_json(ledger_report_json(*r));
  } else {
    print_report(*r);
  }
  return 0;
}

int run_check(const ReportFlags& f) {
  if (!(f.idle_hours >= 0 && std::isfinite(f.idle_hours))) {
    return report_error(bad_input(fmt::format("--idle-hours: expected GPU-hours >= 0, got {}", f.idle_hours)));
  }
  if (!(f.mfu_ratio > 0 && f.mfu_ratio <= 1)) {
    return report_error(bad_input(fmt::format("--mfu-ratio: expected a fraction in (0, 1], got {}", f.mfu_ratio)));
  }
  auto r = build_report(f);
  if (!r) return report_error(r.error());
  auto findings = check_ledger(*r, {f.idle_hours, f.mfu_ratio});
  if (f.json) {
    print_json(findings_json(findings));
  } else if (findings.empty()) {
    std::cout << "ledger check: clean (no rule fired)\n";
  } else {
    for (const Finding& x : findings) std::cout << x.rule << ": " << x.message << "\n";
  }
  return findings.empty() ? 0 : 1;
}

void add_report_flags(CLI::App& sub, ReportFlags& f) {
  sub.add_option("--db", f.db, "The ledger file (SQLite)")->required();
  sub.add_option("--jobs", f.jobs, "Jobs file (TOML): model, hardware, gpus, micro_batch, seq, usd_plan per job");
  sub.add_option("--cap", f.cap, "Monthly spending cap in US dollars");
  sub.add_option("--window", f.window, "Days of spend the burn rate averages (default 7)");
  sub.add_option("--idle-util", f.idle_util, "Utilization (percent) under which a GPU counts as idle (default 10)");
  sub.add_flag("--json", f.json, "JSON output");
}

std::function<int()> setup(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);

  auto in = std::make_shared<ImportFlags>();
  CLI::App* imp = sub.add_subcommand("import", "Import billing (FOCUS), GPU telemetry and training progress files");
  imp->add_option("--db", in->db, "The ledger file (SQLite; created when absent)")->required();
  imp->add_option("files", in->files, "Files to import, each in one transaction")->required();
  imp->add_option("--format", in->format, "focus, nvidia-smi, dcgm, jsonl or trainer-state (default: detected)");
  imp->add_option("--job", in->job, "Job of telemetry rows, and of progress rows that name none");
  imp->add_option("--host", in->host, "Host of nvidia-smi rows");
  imp->add_option("--job-tag", in->job_tag, "FOCUS Tags key that names the job (default: job)");
  imp->add_option("--time", in->time, "DCGM: time of samples without a timestamp (ISO 8601)");
  imp->add_flag("--json", in->json, "JSON output");
  set_examples(*imp, {"flopscope ledger import --db spend.db focus-2024-09.csv",
                      "flopscope ledger import --db spend.db --job llama-8b-pt --host node-1 nvidia-smi.csv",
                      "flopscope ledger import --db spend.db --job llama-8b-pt --time 2024-09-01T12:00:00Z dcgm.prom",
                      "flopscope ledger import --db spend.db progress.jsonl out/trainer_state.json --json"});
  imp->callback([in, exit_code] { *exit_code = run_import(*in); });

  auto rep = std::make_shared<ReportFlags>();
  CLI::App* report = sub.add_subcommand("report", "Spend by job, tag and period; burn rate and cap; realized vs predicted MFU");
  add_report_flags(*report, *rep);
  report->add_option("--period", rep->period, "day or month (default month)");
  set_examples(*report, {"flopscope ledger report --db spend.db",
                         "flopscope ledger report --db spend.db --cap 50000 --period day",
                         "flopscope ledger report --db spend.db --jobs jobs.toml --json"});
  report->callback([rep, exit_code] { *exit_code = run_report(*rep); });

  auto chk = std::make_shared<ReportFlags>();
  CLI::App* check = sub.add_subcommand("check", "Find waste: idle GPUs, MFU far under prediction, spend over plan or cap; exit 1 when found");
  add_report_flags(*check, *chk);
  check->add_option("--idle-hours", chk->idle_hours, "Idle GPU-hours a job may have (default 1)");
  check->add_option("--mfu-ratio", chk->mfu_ratio, "Flag realized MFU under this fraction of predicted (default 0.5)");
  set_examples(*check, {"flopscope ledger check --db spend.db --cap 50000",
                        "flopscope ledger check --db spend.db --jobs jobs.toml --idle-util 5 --idle-hours 8 --mfu-ratio 0.6",
                        "flopscope ledger check --db spend.db --json || notify-team"});
  check->callback([chk, exit_code] { *exit_code = run_check(*chk); });

  set_examples(sub, {"flopscope ledger import --db spend.db billing.csv nvidia-smi.csv progress.jsonl",
                     "flopscope ledger report --db spend.db --cap 50000",
                     "flopscope ledger check --db spend.db --jobs jobs.toml", "flopscope ledger <subcommand> --help"});
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"ledger", "The ledger of actual spend: import billing and telemetry, report, check for waste", setup, 70});

}  // namespace
}  // namespace flopscope::cli
